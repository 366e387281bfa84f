"""Simple illustrations drawn with Pillow for the demo catalog (no photo files to ship).

Each picture is drawn at twice its size and scaled down, which smooths the edges. The
drawings are deterministic (the same variety always gives the same picture), so they are
kept once drawn: seeding several times in one process draws each picture once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 960, 720  # the coordinates the drawings are written in
OUTPUT = (800, 600)  # the size of the finished picture
SCALE = 2 * OUTPUT[0] / WIDTH  # drawn at twice the output size, then reduced

Color = tuple[int, int, int]


@dataclass(frozen=True)
class CheeseTint:
    paste: Color  # the inside of the cheese
    rind: Color  # its outside
    eyes: bool = False  # small holes, as in aged cheese
    pattern: bool = False  # the marks of the mould's cloth band on the side


@dataclass(frozen=True)
class MaizeTint:
    kernel: Color
    kernel_shadow: Color
    rows: int  # kernel rows visible across the cob
    kernel_size: float  # relative size of a kernel


CHEESE_TINTS = {
    "andino": CheeseTint(paste=(250, 244, 222), rind=(238, 222, 170)),
    "madurado": CheeseTint(paste=(246, 214, 128), rind=(196, 130, 60), eyes=True),
    "tipo paria": CheeseTint(paste=(253, 252, 246), rind=(244, 240, 222), pattern=True),
    "mozzarella": CheeseTint(paste=(253, 252, 246), rind=(236, 234, 222)),
    "pizzero": CheeseTint(paste=(248, 226, 150), rind=(232, 196, 110)),
}

MAIZE_TINTS = {
    "blanco gigante": MaizeTint(
        kernel=(246, 240, 222), kernel_shadow=(214, 202, 170), rows=7, kernel_size=1.35
    ),
    "chullpi": MaizeTint(
        kernel=(244, 180, 60), kernel_shadow=(200, 122, 30), rows=10, kernel_size=0.9
    ),
}


class Canvas:
    """A drawing surface in final-size coordinates, backed by a 2x image."""

    def __init__(self, top: Color, bottom: Color):
        self.image = Image.new("RGB", (self.s(WIDTH), self.s(HEIGHT)))
        self.draw = ImageDraw.Draw(self.image)
        self.gradient(0, HEIGHT, top, bottom)

    @staticmethod
    def s(value: float) -> int:
        return round(value * SCALE)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[int]:
        return [self.s(x0), self.s(y0), self.s(x1), self.s(y1)]

    def points(self, pts) -> list[tuple[int, int]]:
        return [(self.s(x), self.s(y)) for x, y in pts]

    def gradient(self, y0: float, y1: float, top: Color, bottom: Color) -> None:
        start, end = self.s(y0), self.s(y1)
        for y in range(start, end):
            t = (y - start) / max(1, end - start - 1)
            self.draw.line([(0, y), (self.image.width, y)], fill=mix(top, bottom, t))

    def ellipse(self, x0, y0, x1, y1, fill, outline=None, width=0) -> None:
        self.draw.ellipse(self.box(x0, y0, x1, y1), fill=fill, outline=outline, width=self.s(width))

    def polygon(self, pts, fill, outline=None, width=0) -> None:
        self.draw.polygon(self.points(pts), fill=fill, outline=outline, width=self.s(width))

    def pieslice(self, x0, y0, x1, y1, start, end, fill) -> None:
        self.draw.pieslice(self.box(x0, y0, x1, y1), start, end, fill=fill)

    def rectangle(self, x0, y0, x1, y1, fill) -> None:
        self.draw.rectangle(self.box(x0, y0, x1, y1), fill=fill)

    def rounded(self, x0, y0, x1, y1, radius, fill) -> None:
        self.draw.rounded_rectangle(self.box(x0, y0, x1, y1), self.s(radius), fill=fill)

    def line(self, pts, fill, width) -> None:
        self.draw.line(self.points(pts), fill=fill, width=self.s(width), joint="curve")

    def text(self, xy, words: str, size: int, fill) -> None:
        font = ImageFont.load_default(size=self.s(size))
        self.draw.text(self.points([xy])[0], words, fill=fill, font=font, anchor="mm")

    def finish(self) -> Image.Image:
        return self.image.resize(OUTPUT, Image.Resampling.LANCZOS)


def mix(a: Color, b: Color, t: float) -> Color:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def darker(color: Color, amount: float = 0.15) -> Color:
    return mix(color, (40, 25, 10), amount)


def lighter(color: Color, amount: float = 0.25) -> Color:
    return mix(color, (255, 255, 255), amount)


def rim(cx: float, cy: float, rx: float, ry: float, degrees: float) -> tuple[float, float]:
    """A point on an ellipse; 0 degrees is to the right, angles grow clockwise (as in PIL)."""
    a = math.radians(degrees)
    return cx + rx * math.cos(a), cy + ry * math.sin(a)


def arc(cx, cy, rx, ry, start, end, steps=24) -> list[tuple[float, float]]:
    return [rim(cx, cy, rx, ry, start + (end - start) * i / steps) for i in range(steps + 1)]


# --- cheese -------------------------------------------------------------------------------


@cache
def cheese_image(variety: str) -> Image.Image:
    """A cheese of the variety on a wooden board: a wheel with a cut wedge, balls or a block."""
    tint = CHEESE_TINTS.get(variety, CHEESE_TINTS["andino"])
    canvas = Canvas(top=(250, 236, 214), bottom=(232, 196, 160))
    kitchen_board(canvas)
    if variety == "mozzarella":
        mozzarella_balls(canvas, tint)
    elif variety == "pizzero":
        cheese_block(canvas, tint)
    else:
        cheese_wheel(canvas, tint, small=variety == "tipo paria")
    return canvas.finish()


def kitchen_board(canvas: Canvas) -> None:
    canvas.rectangle(0, 470, WIDTH, HEIGHT, (176, 120, 74))
    for i, y in enumerate(range(490, HEIGHT, 38)):
        canvas.line([(0, y), (WIDTH, y + (6 if i % 2 else -4))], fill=(158, 104, 62), width=3)
    canvas.ellipse(140, 420, 820, 600, fill=(204, 150, 96))
    canvas.ellipse(150, 425, 810, 585, fill=(222, 172, 116))


def cheese_wheel(canvas: Canvas, tint: CheeseTint, small: bool) -> None:
    """A round cheese seen from above and the side, with a wedge cut out and set beside it."""
    cx, cy = (400, 380) if not small else (390, 410)
    rx, ry, h = (220, 90, 110) if not small else (185, 78, 85)
    cut_from, cut_to = 15, 75  # the missing wedge, towards the viewer's right
    side = darker(tint.rind, 0.08)
    # the cut face left at the back of the gap, then the rest of the wheel in front of it
    p1 = rim(cx, cy, rx, ry, cut_from)
    face = [(cx, cy), p1, (p1[0], p1[1] + h), (cx, cy + h)]
    canvas.polygon(face, fill=darker(tint.paste, 0.04))
    if tint.eyes:
        eyes(canvas, face, tint, seed=1)
    for start, end in ((cut_to, 180), (0, cut_from)):
        band = arc(cx, cy, rx, ry, start, end)
        band += [(x, y + h) for x, y in reversed(band)]
        canvas.polygon(band, fill=side)
    if tint.pattern:
        woven_band(canvas, cx, cy, rx, ry, h, [(cut_to, 180), (0, cut_from)], tint)
    canvas.pieslice(cx - rx, cy - ry, cx + rx, cy + ry, cut_to, 360 + cut_from, tint.rind)
    canvas.pieslice(
        cx - rx + 14,
        cy - ry + 6,
        cx + rx - 14,
        cy + ry - 6,
        cut_to,
        360 + cut_from,
        lighter(tint.rind),
    )
    wedge(canvas, cx + 150, cy + 95, rx, ry, h, cut_from, cut_to, tint)


def woven_band(canvas: Canvas, cx, cy, rx, ry, h, spans, tint: CheeseTint) -> None:
    """The zigzag the cloth band of the mould leaves on the side of a fresh cheese."""
    for start, end in spans:
        steps = max(2, int((end - start) / 6))
        for i in range(steps):
            a0 = start + (end - start) * i / steps
            a1 = start + (end - start) * (i + 1) / steps
            (x0, y0), (x1, y1) = rim(cx, cy, rx, ry, a0), rim(cx, cy, rx, ry, a1)
            canvas.line(
                [(x0, y0 + h * 0.3), (x1, y1 + h * 0.5), (x1, y1 + h * 0.5)],
                fill=darker(tint.rind, 0.18),
                width=2,
            )
            canvas.line(
                [(x0, y0 + h * 0.7), (x1, y1 + h * 0.5)], fill=darker(tint.rind, 0.18), width=2
            )


def wedge(canvas, cx, cy, rx, ry, h, start, end, tint: CheeseTint) -> None:
    """A cut wedge: its cut face, its rind side and its top."""
    p1, p2 = rim(cx, cy, rx, ry, start), rim(cx, cy, rx, ry, end)
    side = [*arc(cx, cy, rx, ry, start, end)]
    side += [(x, y + h) for x, y in reversed(arc(cx, cy, rx, ry, start, end))]
    canvas.polygon(side, fill=darker(tint.rind, 0.1))
    face = [(cx, cy), p2, (p2[0], p2[1] + h), (cx, cy + h)]
    canvas.polygon(face, fill=darker(tint.paste, 0.06))
    if tint.eyes:
        eyes(canvas, face, tint, seed=2)
    canvas.polygon([(cx, cy), *arc(cx, cy, rx, ry, start, end)], fill=lighter(tint.paste, 0.2))
    canvas.line([(cx, cy), p1], fill=darker(tint.paste, 0.12), width=2)


def eyes(canvas: Canvas, quad, tint: CheeseTint, seed: int) -> None:
    """Small holes scattered inside a four-sided cut face."""
    rng = random.Random(seed)
    (ax, ay), (bx, by), (cx_, cy_), (dx, dy) = quad
    for _ in range(9):
        u, v = rng.uniform(0.2, 0.85), rng.uniform(0.2, 0.8)
        top = (ax + (bx - ax) * u, ay + (by - ay) * u)
        bottom = (dx + (cx_ - dx) * u, dy + (cy_ - dy) * u)
        x, y = top[0] + (bottom[0] - top[0]) * v, top[1] + (bottom[1] - top[1]) * v
        r = rng.uniform(4, 9)
        canvas.ellipse(x - r, y - r * 0.8, x + r, y + r * 0.8, fill=darker(tint.paste, 0.25))


def mozzarella_balls(canvas: Canvas, tint: CheeseTint) -> None:
    """Three soft white balls, one of them sliced."""
    for cx, cy, r in ((330, 400, 130), (560, 390, 115), (450, 470, 110)):
        canvas.ellipse(cx - r, cy - r * 0.85 + 20, cx + r, cy + r * 0.85 + 20, fill=(214, 208, 190))
        canvas.ellipse(cx - r, cy - r * 0.85, cx + r, cy + r * 0.85, fill=tint.paste)
        canvas.ellipse(
            cx - r * 0.55, cy - r * 0.6, cx - r * 0.05, cy - r * 0.25, fill=(255, 255, 255)
        )
    for i in range(3):
        x = 640 + i * 55
        canvas.ellipse(x, 500 - i * 6, x + 90, 560 - i * 6, fill=darker(tint.paste, 0.08))
        canvas.ellipse(x + 4, 496 - i * 6, x + 86, 552 - i * 6, fill=tint.paste)
    basil(canvas, 250, 540)


def basil(canvas: Canvas, x: float, y: float) -> None:
    for dx, dy, angle in ((0, 0, -20), (50, 10, 25), (22, -30, 70)):
        leaf = [
            rim(x + dx, y + dy, 38, 16, angle + a) for a in range(0, 360, 20)
        ]  # an ellipse turned by hand
        canvas.polygon(leaf, fill=(74, 140, 64))


def cheese_block(canvas: Canvas, tint: CheeseTint) -> None:
    """A rectangular block of melting cheese with a few slices leaning on it."""
    front = [(250, 300), (600, 300), (600, 520), (250, 520)]
    top = [(250, 300), (330, 240), (680, 240), (600, 300)]
    right = [(600, 300), (680, 240), (680, 460), (600, 520)]
    canvas.polygon(front, fill=tint.paste)
    canvas.polygon(top, fill=lighter(tint.paste, 0.3))
    canvas.polygon(right, fill=darker(tint.paste, 0.12))
    for i in range(4):
        x = 640 + i * 38
        canvas.polygon(
            [(x, 540), (x + 30, 380), (x + 50, 384), (x + 22, 546)], fill=darker(tint.paste, 0.05)
        )
    # a grated heap in front
    rng = random.Random(7)
    for _ in range(90):
        x, y = rng.uniform(240, 420), rng.uniform(540, 590)
        canvas.line([(x, y), (x + rng.uniform(-14, 14), y - 8)], fill=tint.rind, width=4)


# --- maize --------------------------------------------------------------------------------


@cache
def maize_image(variety: str, sack: bool = False) -> Image.Image:
    """A cob of the variety with its husk; with `sack`, a 50 kg sack of grain behind it."""
    tint = MAIZE_TINTS.get(variety, MAIZE_TINTS["blanco gigante"])
    canvas = Canvas(top=(214, 236, 250), bottom=(250, 242, 214))
    canvas.rectangle(0, 520, WIDTH, HEIGHT, (214, 180, 130))
    canvas.line([(0, 520), (WIDTH, 520)], fill=(190, 156, 106), width=4)
    if sack:
        grain_sack(canvas, tint)
        cob(canvas, tint, cx=300, cy=470, length=330, angle=-18)
        loose_kernels(canvas, tint, 560, 600, count=40)
    else:
        canvas.ellipse(170, 520, 640, 580, fill=(196, 160, 112))
        cob(canvas, tint, cx=390, cy=420, length=470, angle=-16)
        if variety == "chullpi":
            toasted_bowl(canvas, 750, 590)
        else:
            loose_kernels(canvas, tint, 760, 610, count=28)
    return canvas.finish()


def cob(canvas: Canvas, tint: MaizeTint, cx: float, cy: float, length: float, angle: float) -> None:
    """An ear of maize turned by `angle`, kernels in rows, husk leaves at its base."""
    turn = math.radians(angle)
    along = (math.cos(turn), math.sin(turn))
    across = (-along[1], along[0])
    half_width = length * 0.2

    def at(u: float, v: float) -> tuple[float, float]:
        """u runs along the cob (-1 tip .. 1 base), v across it (-1 .. 1)."""
        return (
            cx + along[0] * u * length / 2 + across[0] * v * half_width,
            cy + along[1] * u * length / 2 + across[1] * v * half_width,
        )

    outline = [at(math.cos(t) * 1.0, math.sin(t) * profile(math.cos(t))) for t in frange(64)]
    canvas.polygon(outline, fill=tint.kernel_shadow)
    kernel_r = half_width / tint.rows * tint.kernel_size
    columns = int(length / (kernel_r * 2.1))
    for i in range(columns):
        u = -0.92 + 1.7 * i / max(1, columns - 1)
        width = profile(u)
        for j in range(tint.rows):
            v = (-0.85 + 1.7 * (j + 0.5 * (i % 2)) / tint.rows) * width
            if abs(v) > 0.9 * width:
                continue
            x, y = at(u, v)
            shade = 1 - abs(v) / max(width, 0.01)  # kernels at the edges look darker
            color = mix(tint.kernel_shadow, tint.kernel, 0.35 + 0.65 * shade)
            r = kernel_r * (0.75 + 0.25 * shade)
            canvas.ellipse(x - r, y - r * 0.9, x + r, y + r * 0.9, fill=color)
            canvas.ellipse(
                x - r * 0.45, y - r * 0.5, x + r * 0.1, y - r * 0.05, fill=lighter(color, 0.4)
            )
    for side, hue in ((-1, (110, 152, 72)), (1, (146, 180, 96)), (0.25, (196, 200, 140))):
        leaf = [
            at(0.7, side * 0.55),
            at(1.05, side * 1.35),
            at(1.5, side * 1.55),
            at(1.2, side * 0.7),
            at(0.95, side * 0.15),
        ]
        canvas.polygon(leaf, fill=hue)


def profile(u: float) -> float:
    """Relative width of a cob along its length: round at the tip, fuller at the base."""
    u = max(-1.0, min(1.0, u))
    return math.sqrt(max(0.0, 1 - u * u)) ** 0.6 * (0.85 + 0.15 * u)


def frange(steps: int) -> list[float]:
    return [2 * math.pi * i / steps for i in range(steps)]


def loose_kernels(canvas: Canvas, tint: MaizeTint, x: float, y: float, count: int) -> None:
    rng = random.Random(count)
    for _ in range(count):
        dx, dy = rng.gauss(0, 60), rng.gauss(0, 14)
        r = 9 * tint.kernel_size
        canvas.ellipse(x + dx - r, y + dy - r * 0.8, x + dx + r, y + dy + r * 0.8, fill=tint.kernel)


def toasted_bowl(canvas: Canvas, x: float, y: float) -> None:
    """A clay bowl of toasted chullpi (cancha), the way it reaches the table."""
    rng = random.Random(3)
    for _ in range(70):
        dx, dy = rng.uniform(-120, 120), rng.uniform(-55, -10)
        if (dx / 120) ** 2 + ((dy + 10) / 60) ** 2 > 1:
            continue
        color = mix((226, 150, 50), (170, 96, 30), rng.random())
        canvas.ellipse(x + dx - 12, y + dy - 9, x + dx + 12, y + dy + 9, fill=color)
    canvas.polygon(
        [(x - 140, y - 20), (x + 140, y - 20), (x + 100, y + 60), (x - 100, y + 60)],
        fill=(168, 84, 52),
    )
    canvas.line([(x - 140, y - 20), (x + 140, y - 20)], fill=(140, 66, 40), width=8)
    canvas.line([(x - 110, y + 20), (x + 110, y + 20)], fill=(214, 170, 110), width=5)


def grain_sack(canvas: Canvas, tint: MaizeTint) -> None:
    """A tied woven sack, open at the top and full of grain, marked 50 kg."""
    cx = 600
    body = [(cx - 170, 230), (cx + 170, 230), (cx + 200, 560), (cx - 200, 560)]
    canvas.polygon(body, fill=(222, 204, 160))
    for x in range(cx - 190, cx + 200, 24):
        canvas.line([(x, 240), (x + (x - cx) * 0.08, 556)], fill=(206, 186, 140), width=3)
    for y in (320, 440):
        canvas.line([(cx - 176, y), (cx + 182, y)], fill=(196, 60, 48), width=10)
    canvas.ellipse(cx - 175, 200, cx + 175, 262, fill=(200, 180, 134))
    canvas.ellipse(cx - 160, 196, cx + 160, 250, fill=tint.kernel_shadow)
    rng = random.Random(50)
    for _ in range(80):
        dx, dy = rng.uniform(-150, 150), rng.uniform(-22, 22)
        if (dx / 150) ** 2 + (dy / 24) ** 2 > 1:
            continue
        r = 8 * tint.kernel_size
        x, y = cx + dx, 222 + dy
        canvas.ellipse(x - r, y - r * 0.8, x + r, y + r * 0.8, fill=tint.kernel)
    canvas.rounded(cx - 90, 350, cx + 90, 420, 12, fill=(250, 244, 228))
    canvas.text((cx, 385), "50 kg", size=44, fill=(90, 52, 24))


# --- landscapes ---------------------------------------------------------------------------


@cache
def pasture_image() -> Image.Image:
    """A snow peak over high pastures with grazing cows and a small adobe house."""
    canvas = Canvas(top=(126, 180, 230), bottom=(214, 234, 248))
    clouds(canvas)
    mountain(canvas, peak=(520, 120), base_y=420, spread=420, snow=0.42)
    mountain(canvas, peak=(170, 250), base_y=430, spread=260, snow=0.0, color=(110, 130, 120))
    hills(canvas, [(0, 430), (300, 400), (620, 440), (WIDTH, 410)], (118, 168, 86))
    hills(canvas, [(0, 520), (360, 490), (700, 530), (WIDTH, 500)], (96, 150, 70))
    adobe_house(canvas, 130, 470)
    for x, y, size, dark in ((560, 560, 1.0, True), (700, 600, 1.15, False), (430, 620, 1.2, True)):
        cow(canvas, x, y, size, dark)
    return canvas.finish()


@cache
def valley_image() -> Image.Image:
    """A green valley with rows of tall maize under mountains."""
    canvas = Canvas(top=(120, 176, 228), bottom=(222, 238, 246))
    clouds(canvas)
    mountain(canvas, peak=(250, 150), base_y=430, spread=380, snow=0.18)
    mountain(canvas, peak=(720, 190), base_y=430, spread=360, snow=0.0, color=(112, 138, 110))
    hills(canvas, [(0, 430), (320, 410), (640, 440), (WIDTH, 420)], (132, 170, 90))
    canvas.rectangle(0, 470, WIDTH, HEIGHT, (150, 120, 76))
    hills(canvas, [(0, 470), (480, 455), (WIDTH, 470)], (132, 170, 90))
    for row, y in enumerate(range(500, HEIGHT + 60, 55)):
        grow = 0.6 + row * 0.25
        for x in range(-20 + (row % 2) * 30, WIDTH + 40, int(70 * grow * 0.8)):
            maize_plant(canvas, x, y, grow)
    return canvas.finish()


@cache
def cheese_shelf_image() -> Image.Image:
    """Wheels of every cheese variety resting on the shelves of a small dairy."""
    canvas = Canvas(top=(246, 236, 220), bottom=(230, 214, 190))
    for shelf_y in (300, 560):
        canvas.rectangle(60, shelf_y, WIDTH - 60, shelf_y + 24, (160, 108, 64))
        canvas.rectangle(60, shelf_y + 24, WIDTH - 60, shelf_y + 34, (130, 84, 48))
    varieties = list(CHEESE_TINTS.values())
    for i in range(8):
        tint = varieties[i % len(varieties)]
        shelf_y = 300 if i < 4 else 560
        x = 170 + (i % 4) * 205
        rx, ry, h = 85, 30, 70
        top = shelf_y - h - ry + 4
        canvas.ellipse(x - rx, top + h, x + rx, top + h + 2 * ry, fill=darker(tint.rind, 0.15))
        canvas.rectangle(x - rx, top + ry, x + rx, top + ry + h, fill=darker(tint.rind, 0.05))
        canvas.ellipse(x - rx, top, x + rx, top + 2 * ry, fill=tint.rind)
        canvas.ellipse(x - rx + 10, top + 4, x + rx - 10, top + 2 * ry - 4, fill=lighter(tint.rind))
    return canvas.finish()


@cache
def drying_cobs_image() -> Image.Image:
    """Cobs of both maizes drying in the sun on a woven blanket."""
    canvas = Canvas(top=(250, 226, 170), bottom=(240, 204, 150))
    canvas.rounded(60, 120, WIDTH - 60, HEIGHT - 60, 30, fill=(178, 52, 60))
    for i, y in enumerate(range(150, HEIGHT - 80, 60)):
        color = ((240, 180, 60), (40, 110, 120), (250, 240, 220))[i % 3]
        canvas.rectangle(60, y, WIDTH - 60, y + 12, color)
    positions = [
        (230, 260, -12, "blanco gigante"),
        (480, 250, 8, "chullpi"),
        (730, 270, -6, "blanco gigante"),
        (300, 500, 10, "chullpi"),
        (560, 510, -10, "blanco gigante"),
        (780, 500, 14, "chullpi"),
    ]
    for x, y, angle, variety in positions:
        cob(canvas, MAIZE_TINTS[variety], cx=x, cy=y, length=300, angle=angle + 90)
    return canvas.finish()


def clouds(canvas: Canvas) -> None:
    for x, y, w in ((120, 80, 160), (640, 60, 200), (820, 130, 120)):
        canvas.ellipse(x, y, x + w, y + w * 0.3, fill=(246, 250, 252))
        canvas.ellipse(x + w * 0.25, y - w * 0.12, x + w * 0.75, y + w * 0.25, fill=(246, 250, 252))


def mountain(canvas, peak, base_y, spread, snow, color=(120, 124, 138)) -> None:
    px, py = peak
    canvas.polygon([(px - spread, base_y), (px, py), (px + spread, base_y)], fill=color)
    canvas.polygon(
        [(px, py), (px + spread, base_y), (px + spread * 0.2, base_y)], fill=darker(color, 0.12)
    )
    if snow:
        depth = (base_y - py) * snow
        k = depth / (base_y - py)
        left, right = (px - spread * k, py + depth), (px + spread * k, py + depth)
        jag = [left]
        steps = 6
        for i in range(1, steps):
            x = left[0] + (right[0] - left[0]) * i / steps
            jag.append((x, py + depth + (-18 if i % 2 else 14)))
        jag.append(right)
        canvas.polygon([(px, py), *reversed(jag)], fill=(250, 252, 255))


def hills(canvas: Canvas, ridge, color) -> None:
    smooth = []
    for (x0, y0), (x1, y1) in zip(ridge, ridge[1:], strict=False):
        for i in range(20):
            t = i / 20
            smooth.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * (1 - math.cos(t * math.pi)) / 2))
    smooth.append(ridge[-1])
    canvas.polygon([*smooth, (WIDTH, HEIGHT), (0, HEIGHT)], fill=color)


def adobe_house(canvas: Canvas, x: float, y: float) -> None:
    canvas.rectangle(x, y - 60, x + 110, y, (190, 130, 90))
    canvas.polygon([(x - 12, y - 58), (x + 55, y - 100), (x + 122, y - 58)], fill=(166, 70, 48))
    canvas.rectangle(x + 42, y - 38, x + 68, y, (110, 70, 44))


def cow(canvas: Canvas, x: float, y: float, size: float, dark: bool) -> None:
    body = (70, 52, 40) if dark else (236, 228, 214)
    patch = (236, 228, 214) if dark else (80, 60, 46)
    w, h = 120 * size, 58 * size
    for leg in (0.12, 0.3, 0.7, 0.86):
        lx = x + w * leg
        canvas.rectangle(lx - 5 * size, y + h * 0.6, lx + 5 * size, y + h * 1.25, darker(body, 0.2))
    canvas.rounded(x, y, x + w, y + h, 24 * size, fill=body)
    canvas.ellipse(x + w * 0.35, y + h * 0.15, x + w * 0.6, y + h * 0.6, fill=patch)
    canvas.ellipse(x + w - 10 * size, y - 18 * size, x + w + 36 * size, y + 22 * size, fill=body)
    canvas.line([(x, y + 12 * size), (x - 14 * size, y + 40 * size)], fill=body, width=5 * size)


def maize_plant(canvas: Canvas, x: float, y: float, size: float) -> None:
    green, dark = (88, 146, 60), (62, 112, 44)
    top = y - 120 * size
    canvas.line([(x, y), (x, top)], fill=dark, width=5 * size)
    for i, (dx, dy) in enumerate(((-40, -30), (42, -50), (-36, -78), (34, -96))):
        base_y = y - (22 + i * 24) * size
        canvas.line(
            [(x, base_y), (x + dx * 0.6 * size, base_y + dy * 0.3 * size), (x + dx * size, base_y)],
            fill=green,
            width=4 * size,
        )
    canvas.line([(x, top), (x - 8 * size, top - 18 * size)], fill=(214, 190, 110), width=3 * size)
    canvas.line([(x, top), (x + 8 * size, top - 16 * size)], fill=(214, 190, 110), width=3 * size)
    canvas.ellipse(x + 3 * size, y - 70 * size, x + 15 * size, y - 40 * size, fill=(200, 196, 130))


# The association pictures, with the Spanish alt text each is shown with.
AssociationPicture = tuple[Callable[[], Image.Image], str]

ASSOCIATION_PICTURES: dict[str, list[AssociationPicture]] = {
    "sumaq-ausangate": [
        (
            pasture_image,
            "Ilustración: el nevado Ausangate sobre los pastos de Ocongate, con vacas "
            "pastando junto a una casa de adobe.",
        ),
        (
            cheese_shelf_image,
            "Ilustración: quesos de varias variedades reposando en los estantes de la quesería.",
        ),
    ],
    "huaroq-sara": [
        (
            valley_image,
            "Ilustración: chacras de maíz en el valle de Huaro, al pie de los cerros.",
        ),
        (
            drying_cobs_image,
            "Ilustración: mazorcas de maíz blanco gigante y de chullpi secándose al sol "
            "sobre una manta tejida.",
        ),
    ],
}
