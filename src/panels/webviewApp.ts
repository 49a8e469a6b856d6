// How the three webviews (dashboard, hyperparameters, trajectory viewer) are loaded: scripts allowed
// only from the extension's dist/webview folder, HTML with a fresh nonce under a strict CSP
// (common/webviewHtml.ts), and every message the page sends validated before a handler sees it
// (the parse functions of common/messages.ts). Each app then says `ready` when it has loaded.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { buildWebviewHtml } from '../common/webviewHtml';

export type WebviewApp = 'dashboard' | 'hparams' | 'trajectory';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
}

/** Loads `app` into `webview`; returns the subscription of its messages (parsed: undefined when invalid). */
export function loadWebviewApp<M>(webview: vscode.Webview, extensionUri: vscode.Uri, app: WebviewApp, title: string,
  parse: (raw: unknown) => M | undefined, onMessage: (msg: M | undefined) => void): vscode.Disposable {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
  webview.html = buildWebviewHtml({ title, cspSource: webview.cspSource, nonce: randomBytes(16).toString('hex'), scriptUri: asset(`${app}.js`), styleUri: asset('webview.css') });
  return webview.onDidReceiveMessage((raw) => onMessage(parse(raw)));
}
