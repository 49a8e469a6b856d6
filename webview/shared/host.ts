// The webview's only door to the extension: acquireVsCodeApi wrapped once, typed by the shared messages.
// Tests run the bundle in a plain page with a stub `acquireVsCodeApi` that records posted messages.

export interface HostApi<To, State> {
  post(message: To): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

export function connectHost<To, From, State>(onMessage: (m: From) => void): HostApi<To, State> {
  const api = acquireVsCodeApi();
  window.addEventListener('message', (e: MessageEvent) => onMessage(e.data as From));
  return {
    post: (m) => api.postMessage(m),
    getState: () => (api.getState() as State | undefined) ?? undefined,
    setState: (s) => api.setState(s),
  };
}
