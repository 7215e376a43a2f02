#!/usr/bin/env python3
"""Writes the query families of scripts/bench-search: URL paths made of words of real titles,
each family in a file of its own, every path distinct.

    search_queries.py BASE_URL DATABASE_URL OUT_DIR [PER_FAMILY]

Titles are sampled from the products table (psql); pages 2 and 5 follow the cursors the server
gives, so the server at BASE_URL must be running.
"""
import json
import random
import re
import subprocess
import sys
import urllib.parse
import urllib.request

base, database, out = sys.argv[1], sys.argv[2], sys.argv[3]
per_family = int(sys.argv[4]) if len(sys.argv) > 4 else 250
rng = random.Random(19)

rows = subprocess.run(
    ["psql", database, "-tAc",
     "SELECT title::text FROM products WHERE status = 'active' ORDER BY md5(id::text) LIMIT 4000"],
    check=True, capture_output=True, text=True).stdout.splitlines()
titles = [json.loads(r) for r in rows if r.strip()]
word = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
fr_titles = [word.findall(t.get("fr", "")) for t in titles]
ar_titles = [word.findall(t.get("ar", "")) for t in titles]
fr_words = sorted({w.lower() for ws in fr_titles for w in ws})
ar_words = sorted({w for ws in ar_titles for w in ws})
if not fr_words or not ar_words:
    sys.exit("no titles to make queries of")


def path(**query):
    return "/v1/products?" + urllib.parse.urlencode(query)


def distinct(make):
    seen, tries = set(), 0
    while len(seen) < per_family and tries < per_family * 200:
        tries += 1
        p = make()
        if p:
            seen.add(p)
    return sorted(seen)


def two_words():
    ws = rng.choice([t for t in fr_titles if len(t) >= 2])
    a, b = rng.sample(ws, 2)
    return path(q=f"{a.lower()} {b.lower()}")


def typo():
    w = rng.choice([w for w in fr_words if len(w) >= 5])
    i = rng.randrange(1, len(w) - 1)
    op = rng.choice("dsx")
    if op == "d":
        t = w[:i] + w[i + 1:]
    elif op == "s":
        t = w[:i] + rng.choice("aeiourstln") + w[i + 1:]
    else:
        t = w[:i - 1] + w[i] + w[i - 1] + w[i + 1:]
    return path(q=t) if t != w else None


def prefix():
    w = rng.choice(fr_words + ar_words)
    if len(w) < 4:
        return None
    return path(q=w[: rng.randrange(3, len(w))])


TASHKEEL = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652"]


def arabic():
    ws = rng.choice([t for t in ar_titles if t])
    chosen = rng.sample(ws, min(len(ws), rng.choice([1, 2])))
    marked = " ".join("".join(c + (rng.choice(TASHKEEL) if rng.random() < 0.5 else "") for c in w) for w in chosen)
    return path(q=marked)


def price():
    w = rng.choice(fr_words)
    low = rng.randrange(0, 40) * 5_000
    return path(q=w, price_min=low, price_max=low + rng.randrange(2, 60) * 5_000,
                sort=rng.choice(["price_asc", "price_desc"]))


def fetch(p):
    with urllib.request.urlopen(base + p, timeout=30) as reply:
        return json.load(reply)


def page(n):
    def make():
        first = two_words() if rng.random() < 0.5 else path(q=rng.choice(fr_words + ar_words))
        p, query = first, urllib.parse.urlparse(first).query
        for _ in range(n - 1):
            cursor = fetch(p).get("next_cursor")
            if not cursor:
                return None
            p = "/v1/products?" + query + "&" + urllib.parse.urlencode({"cursor": cursor})
        return p
    return make


families = {
    "two_words": two_words,
    "typo": typo,
    "prefix": prefix,
    "arabic_diacritics": arabic,
    "page_2": page(2),
    "page_5": page(5),
    "price_filter_sort": price,
}
total = 0
for name, make in families.items():
    paths = distinct(make)
    total += len(paths)
    with open(f"{out}/{name}.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(paths) + "\n")
    print(f"{name}: {len(paths)} distinct queries")
print(f"in all: {total} distinct queries")
