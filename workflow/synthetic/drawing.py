"""One synthetic image: a class-specific shape on a cluttered, noisy background.

A class is a shape (ten outlines) and a hue band (golden-ratio spaced, so
classes that share a shape differ in colour). Each image varies the shape's
position, scale, rotation, saturation and brightness, the background
gradient, two distractor strokes and the pixel noise, so a classifier has to
learn shape and colour rather than memorise pixels.
"""
from __future__ import annotations

import colorsys
import math

import numpy as np
from PIL import Image, ImageDraw

NUM_SHAPES = 10


def _regular(n: int, inner: float | None = None) -> list[tuple[float, float]]:
    points = []
    steps = n * 2 if inner is not None else n
    for i in range(steps):
        radius = inner if inner is not None and i % 2 else 1.0
        angle = 2 * math.pi * i / steps - math.pi / 2
        points.append((radius * math.cos(angle), radius * math.sin(angle)))
    return points


def _outline(shape: int) -> list[tuple[float, float]]:
    """Polygon in unit coordinates (centre 0, radius about 1)."""
    if shape == 0:
        return _regular(3)
    if shape == 1:
        return _regular(4)
    if shape == 2:
        return _regular(32)
    if shape == 3:  # plus
        a, b = 0.33, 1.0
        return [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b),
                (-a, a), (-b, a), (-b, -a), (-a, -a)]
    if shape == 4:
        return _regular(5, inner=0.42)
    if shape == 5:
        return _regular(6)
    if shape == 6:  # thin diamond
        return [(0, -1), (0.45, 0), (0, 1), (-0.45, 0)]
    if shape == 7:  # arrow
        return [(-1, -0.25), (0.2, -0.25), (0.2, -0.7), (1, 0), (0.2, 0.7), (0.2, 0.25),
                (-1, 0.25)]
    if shape == 8:  # L
        return [(-0.8, -1), (-0.2, -1), (-0.2, 0.4), (0.8, 0.4), (0.8, 1), (-0.8, 1)]
    return [(-1, -1), (1, -1), (1, -0.4), (0.3, -0.4), (0.3, 1), (-0.3, 1), (-0.3, -0.4),
            (-1, -0.4)]  # T


def class_style(index: int) -> tuple[int, float]:
    """(shape, base hue) of class ``index``."""
    return index % NUM_SHAPES, (index * 0.618034) % 1.0


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_image(index: int, size: int, rng: np.random.Generator) -> Image.Image:
    shape, hue = class_style(index)
    # background: a low-saturation gradient in a random direction
    c0 = np.array(_rgb(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.3, 0.9)), float)
    c1 = np.array(_rgb(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.3, 0.9)), float)
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = np.clip((xx - 0.5) * math.cos(theta) + (yy - 0.5) * math.sin(theta) + 0.5, 0, 1)
    background = c0 + (c1 - c0) * t[..., None]
    image = Image.fromarray(background.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(2):  # distractor strokes
        x0, y0, x1, y1 = rng.uniform(0, size, 4)
        grey = _rgb(rng.random(), rng.uniform(0, 0.25), rng.uniform(0.2, 1))
        draw.line([(x0, y0), (x1, y1)], fill=grey, width=max(1, size // 32))
    radius = rng.uniform(0.22, 0.4) * size
    cx, cy = rng.uniform(radius, size - radius, 2)
    rotation = rng.uniform(0, 2 * math.pi)
    cos, sin = math.cos(rotation), math.sin(rotation)
    polygon = [(cx + radius * (x * cos - y * sin), cy + radius * (x * sin + y * cos))
               for x, y in _outline(shape)]
    colour = _rgb(hue + rng.uniform(-0.05, 0.05), rng.uniform(0.55, 1), rng.uniform(0.55, 1))
    draw.polygon(polygon, fill=colour)
    pixels = np.asarray(image, dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(4, 16), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
