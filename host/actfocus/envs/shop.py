"""Shop: a self-contained, WebShop-style shopping environment.

WebShop itself needs a crawled catalogue of about a million products and a search server, which
cannot ship with this tool. This is an honest stand-in with the same structure: a deterministic
synthetic catalogue (thousands of products with category, attributes, options and price), natural
language instructions, search-results and item pages, `search[...]` / `click[...]` actions with
the admissible ones listed every turn, and WebShop's published reward:

    R = r_type * (|U_att ∩ Y_att| + |U_opt ∩ Y_opt| + 1[price <= budget]) / (|U_att| + |U_opt| + 1)

with r_type = 1 for the right product type, 0.5 for a different type whose title shares the goal's
type words, 0.1 otherwise. Metrics: purchase rate (any purchase) and strict success (R = 1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from actfocus.envs.base import ActionOutcome, EnvConfig, TextEnv

# category noun → (attributes, option dimensions, price range)
CATEGORIES: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, ...]], tuple[float, float]]] = {
    "running shoes": (("lightweight", "breathable", "waterproof", "non-slip", "cushioned", "wide fit"),
                      {"color": ("black", "white", "blue", "red", "grey"), "size": ("7", "8", "9", "10", "11", "12")}, (35, 160)),
    "t-shirt": (("cotton", "slim fit", "moisture wicking", "organic", "crew neck", "short sleeve"),
                {"color": ("black", "white", "navy", "green", "grey"), "size": ("small", "medium", "large", "x-large")}, (8, 45)),
    "headphones": (("wireless", "noise cancelling", "over-ear", "bluetooth", "foldable", "long battery life"),
                   {"color": ("black", "white", "silver", "blue")}, (20, 350)),
    "coffee": (("organic", "dark roast", "medium roast", "fair trade", "decaf", "whole bean"),
               {"size": ("12 ounce", "2 pound", "5 pound")}, (9, 60)),
    "backpack": (("waterproof", "laptop compartment", "lightweight", "anti-theft", "usb charging", "hiking"),
                 {"color": ("black", "grey", "green", "navy"), "capacity": ("20 liter", "30 liter", "40 liter")}, (25, 140)),
    "desk lamp": (("led", "dimmable", "usb charging", "touch control", "eye-caring", "clamp"),
                  {"color": ("black", "white", "silver")}, (15, 90)),
    "face moisturizer": (("fragrance free", "hyaluronic acid", "spf 30", "oil free", "vegan", "sensitive skin"),
                         {"size": ("1.7 ounce", "3.4 ounce")}, (7, 70)),
    "phone case": (("shockproof", "slim", "magnetic", "clear", "kickstand", "wallet"),
                   {"color": ("black", "clear", "pink", "blue", "green"), "model": ("iphone 15", "iphone 16", "galaxy s24")}, (6, 40)),
}
BRANDS = ("Acme", "Borealis", "Cobalt", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Ivory", "Juniper", "Kestrel",
          "Lumen", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quill", "Ridge", "Summit", "Tundra")
PER_PAGE = 10
MAX_RESULTS = 50
_WORD = re.compile(r"[a-z0-9.]+(?:-[a-z0-9]+)*")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Product:
    asin: str
    category: str
    title: str
    attributes: tuple[str, ...]
    options: dict[str, tuple[str, ...]]
    price: float
    description: str


@dataclass(frozen=True)
class Goal:
    asin: str  # the product the instruction was written from (one of possibly several that satisfy it)
    category: str
    attributes: tuple[str, ...]
    options: dict[str, str]
    price_upper: float
    instruction: str


class Catalogue:
    def __init__(self, products: list[Product]):
        self.products = products
        self.by_asin = {p.asin: p for p in products}
        self.doc_tokens = [frozenset(tokens(p.title + " " + " ".join(p.attributes) + " " + p.category)) for p in products]
        self.postings: dict[str, list[int]] = {}
        for i, toks in enumerate(self.doc_tokens):
            for t in toks:
                self.postings.setdefault(t, []).append(i)
        n = len(products)
        self.idf = {t: math.log(1 + n / len(ids)) for t, ids in self.postings.items()}

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[Product]:
        scores: dict[int, float] = {}
        for t in set(tokens(query)):
            w = self.idf.get(t)
            if w is None:
                continue
            for i in self.postings[t]:
                scores[i] = scores.get(i, 0.0) + w
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [self.products[i] for i, _ in ranked]


@lru_cache(maxsize=4)
def build_catalogue(size: int = 2000, seed: int = 0) -> Catalogue:
    rng = np.random.default_rng([seed, 7919])
    names = list(CATEGORIES)
    products = []
    for i in range(size):
        cat = names[i % len(names)]
        attrs_all, opts_all, (lo, hi) = CATEGORIES[cat]
        k = int(rng.integers(2, 4))
        attrs = tuple(attrs_all[j] for j in sorted(rng.choice(len(attrs_all), k, replace=False).tolist()))
        options = {}
        for dim, values in opts_all.items():
            m = int(rng.integers(2, len(values) + 1))
            options[dim] = tuple(values[j] for j in sorted(rng.choice(len(values), m, replace=False).tolist()))
        brand = BRANDS[int(rng.integers(len(BRANDS)))]
        title = f"{brand} {' '.join(attrs).title()} {cat.title()}"
        price = round(float(rng.uniform(lo, hi)), 2)
        desc = f"{brand} {cat} that is {', '.join(attrs)}. Available " + "; ".join(f"{d}: {', '.join(v)}" for d, v in options.items()) + "."
        products.append(Product(f"B0{i:08X}", cat, title, attrs, options, price, desc))
    return Catalogue(products)


def make_goal(catalogue: Catalogue, rng: np.random.Generator) -> Goal:
    p = catalogue.products[int(rng.integers(len(catalogue.products)))]
    k = int(rng.integers(2, len(p.attributes) + 1))
    attrs = tuple(p.attributes[j] for j in sorted(rng.choice(len(p.attributes), k, replace=False).tolist()))
    options = {d: v[int(rng.integers(len(v)))] for d, v in p.options.items()}
    upper = float(math.ceil(p.price * float(rng.uniform(1.1, 1.6))))
    opt_text = " and ".join(f"{d} {v}" if d in ("size", "capacity") else (f"for {v}" if d == "model" else f"{v} {d}") for d, v in options.items())
    instruction = f"i need {' and '.join(attrs)} {p.category} with {opt_text}, and price lower than {upper:.2f} dollars"
    return Goal(p.asin, p.category, attrs, options, upper, instruction)


def shop_reward(goal: Goal, product: Product, selected: dict[str, str]) -> dict[str, float]:
    """WebShop's reward for buying `product` with `selected` options (see module docstring)."""
    if product.category == goal.category:
        r_type = 1.0
    else:
        type_words = set(tokens(goal.category))
        r_type = 0.5 if len(type_words & set(tokens(product.title))) / len(type_words) >= 0.2 else 0.1
    text = product.title.lower() + " " + " ".join(product.attributes)
    n_att = sum(1 for a in goal.attributes if a in product.attributes or a in text)
    n_opt = sum(1 for d, v in goal.options.items() if selected.get(d) == v)
    n_price = 1 if product.price <= goal.price_upper else 0
    total = len(goal.attributes) + len(goal.options) + 1
    r = r_type * (n_att + n_opt + n_price) / total
    return {"reward": r, "r_type": r_type, "r_att": n_att / max(1, len(goal.attributes)),
            "r_option": n_opt / max(1, len(goal.options)), "r_price": float(n_price)}


class ShopEnv(TextEnv):
    name = "shop"
    action_hint = "search[your query] on the search page, or click[button] with a button listed under 'Available actions'."

    def __init__(self, catalogue_size: int = 2000, catalogue_seed: int = 0, max_turns: int = 9,
                 max_actions_per_turn: int = 1, max_actions: int = 9, **kw):
        if catalogue_size < len(CATEGORIES):
            raise ValueError(f"shop: catalogue_size must be >= {len(CATEGORIES)}, got {catalogue_size}")
        kw.setdefault("max_words", 200)
        super().__init__(EnvConfig(max_turns, max_actions_per_turn, max_actions, **kw))
        self.catalogue = build_catalogue(catalogue_size, catalogue_seed)
        self.purchased = False
        self.reward_info: dict[str, float] = {}

    def rules(self) -> str:
        return ("Shop: you are shopping online for a customer. Follow the instruction: search, open products, choose "
                "the requested options and buy the product that matches. The reward measures how well the purchase "
                "matches the instruction (type, attributes, options, price).")

    def _read_only(self) -> list:
        return [self.catalogue]  # built once per (size, seed) and shared by every episode

    def _reset(self, seed: int) -> None:
        self.goal = make_goal(self.catalogue, np.random.default_rng([seed, 104729]))
        self.page = "search"
        self.results: list[Product] = []
        self.result_page = 0
        self.item: Product | None = None
        self.selected: dict[str, str] = {}
        self.purchased = False
        self.reward_info = {}

    # ---- pages ----
    def admissible(self) -> list[str]:
        if self.page == "search":
            return ["search[<your query>]"]
        if self.page == "results":
            acts = ["click[back to search]"]
            if self.result_page > 0:
                acts.append("click[< prev]")
            if (self.result_page + 1) * PER_PAGE < len(self.results):
                acts.append("click[next >]")
            return acts + [f"click[{p.asin.lower()}]" for p in self._page_items()]
        if self.page == "item":
            assert self.item is not None
            opts = [f"click[{v}]" for vals in self.item.options.values() for v in vals]
            return ["click[back to search]", "click[< prev]", "click[description]", "click[features]", *opts, "click[buy now]"]
        return ["click[back to search]", "click[< prev]"]  # description / features

    def _page_items(self) -> list[Product]:
        s = self.result_page * PER_PAGE
        return self.results[s : s + PER_PAGE]

    def render_state(self) -> str:
        head = f"Instruction: {self.goal.instruction}"
        if self.page == "search":
            body = "[Search]"
        elif self.page == "results":
            lines = [f"Page {self.result_page + 1} ({len(self.results)} results)"]
            lines += [f"[{p.asin.lower()}] {p.title} | ${p.price:.2f}" for p in self._page_items()]
            body = "\n".join(lines) if self.results else "No results."
        elif self.page == "item":
            p = self.item
            assert p is not None
            lines = [p.title, f"Price: ${p.price:.2f}"]
            for d, vals in p.options.items():
                lines.append(f"{d}: " + " ".join(f"[{v}]" + ("*" if self.selected.get(d) == v else "") for v in vals))
            body = "\n".join(lines)
        else:
            p = self.item
            assert p is not None
            body = p.description if self.page == "description" else "Features: " + "; ".join(p.attributes)
        acts = ", ".join(self.admissible())
        return f"{head}\n{body}\nAvailable actions: {acts}"

    # ---- actions ----
    def _apply(self, action: str) -> ActionOutcome:
        a = action.strip()
        m = re.fullmatch(r"(search|click)\[(.*)\]", a, flags=re.IGNORECASE | re.DOTALL)
        if not m:
            return ActionOutcome(0.0, False, message=f"cannot read {a[:40]!r}; use search[...] or click[...]")
        kind, arg = m.group(1).lower(), m.group(2).strip()
        if kind == "search":
            if self.page != "search":
                return ActionOutcome(0.0, False, message="search is only available on the search page")
            if not arg or arg == "<your query>":
                return ActionOutcome(0.0, False, message="empty search query")
            self.results = self.catalogue.search(arg[:200])
            self.result_page, self.page = 0, "results"
            return ActionOutcome(0.0, True)
        btn = arg.lower()
        if f"click[{btn}]" not in self.admissible():
            return ActionOutcome(0.0, False, message=f"{arg[:40]!r} is not a button on this page")
        if btn == "back to search":
            self.page, self.item, self.selected = "search", None, {}
        elif btn == "next >":
            self.result_page += 1
        elif btn == "< prev":
            if self.page == "results":
                self.result_page -= 1
            elif self.page == "item":
                self.page, self.item, self.selected = "results", None, {}
            else:
                self.page = "item"
        elif btn in ("description", "features"):
            self.page = btn
        elif btn == "buy now":
            assert self.item is not None
            self.purchased = True
            self.reward_info = shop_reward(self.goal, self.item, self.selected)
            r = self.reward_info["reward"]
            self.success = r >= 1.0 - 1e-9
            return ActionOutcome(r, True, done=True, message=f"you bought {self.item.title}")
        elif self.page == "results":
            self.item = self.catalogue.by_asin[btn.upper()]
            self.page, self.selected = "item", {}
        else:  # an option value on the item page
            assert self.item is not None
            for d, vals in self.item.options.items():
                if btn in vals:
                    self.selected[d] = btn
        return ActionOutcome(0.0, True)

    def step(self, text: str):
        obs, reward, done, info = super().step(text)
        info["purchased"] = self.purchased
        info["strict_success"] = self.success
        if self.reward_info:
            info["shop_reward"] = dict(self.reward_info)
        return obs, reward, done, info

    def random_action(self, rng) -> str:
        acts = self.admissible()
        a = acts[int(rng.integers(len(acts)))]
        if a.startswith("search["):
            words = tokens(self.goal.instruction)
            return "search[" + " ".join(words[int(i)] for i in rng.integers(len(words), size=3)) + "]"
        return a

    # ---- expert ----
    def _expert_query(self) -> str:
        return " ".join(self.goal.attributes) + " " + self.goal.category

    def _fits(self, p: Product) -> float:
        return shop_reward(self.goal, p, {d: v for d, v in self.goal.options.items() if v in p.options.get(d, ())})["reward"]

    def expert_actions(self) -> list[str]:
        if self.page == "search":
            return [f"search[{self._expert_query()}]"]
        if self.page in ("description", "features"):
            return ["click[< prev]"]
        if self.page == "results":
            if not self.results:
                return ["click[back to search]"]
            best = max(range(len(self.results)), key=lambda i: (self._fits(self.results[i]), -i))
            target_page = best // PER_PAGE
            if target_page > self.result_page:
                return ["click[next >]"]
            if target_page < self.result_page:
                return ["click[< prev]"]
            return [f"click[{self.results[best].asin.lower()}]"]
        assert self.item is not None
        if self._fits(self.item) < max(self._fits(p) for p in self.results):
            return ["click[< prev]"]
        todo = [f"click[{v}]" for d, v in self.goal.options.items() if v in self.item.options.get(d, ()) and self.selected.get(d) != v]
        return todo + ["click[buy now]"]
