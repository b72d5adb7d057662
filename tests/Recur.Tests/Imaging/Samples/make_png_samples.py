#!/usr/bin/python3
"""Reference PNG files for Recur's decoder (src/Recur/Imaging/PngDecoder.cs), written by independent encoders:
Pillow (Debian python3-pil) and ImageMagick (imagemagick), one per colour type and bit depth the format allows,
interlaced and not, with and without tRNS transparency. Next to each NAME.png, NAME.expected holds the 8-bit pixels
the decoder must return, computed here from the source arrays with the decoder's documented rules: grey stays one
channel, everything else becomes RGB; 16-bit samples keep their high byte; 1/2/4-bit samples scale to 0..255; alpha
is composited onto black, round(v * a / 255). The first line of NAME.expected is "W H C", then the bytes.

Run:  /usr/bin/python3 tests/Recur.Tests/Imaging/Samples/make_png_samples.py   (needs python3-pil and imagemagick)
"""

import os
import subprocess

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 13, 9
rng = np.random.default_rng(2026)


def save_expected(name, arr):
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    c = 1 if arr.ndim == 2 else arr.shape[2]
    with open(os.path.join(HERE, name + ".expected"), "wb") as f:
        f.write(f"{arr.shape[1]} {arr.shape[0]} {c}\n".encode())
        f.write(arr.tobytes())


def over_black(v, a):
    return ((v.astype(np.int64) * a.astype(np.int64) + 127) // 255).astype(np.uint8)


def main():
    grey = rng.integers(0, 256, (H, W), dtype=np.uint8)
    rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (H, W), dtype=np.uint8)

    Image.fromarray(grey, "L").save(os.path.join(HERE, "grey8.png"))
    save_expected("grey8", grey)

    bits = grey > 127
    Image.fromarray(bits).convert("1").save(os.path.join(HERE, "grey1.png"))
    save_expected("grey1", np.where(bits, 255, 0))

    g16 = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    Image.fromarray(g16.astype(np.int32), "I").save(os.path.join(HERE, "grey16.png"))  # Pillow writes mode I as 16-bit grey
    save_expected("grey16", (g16 >> 8).astype(np.uint8))

    Image.fromarray(rgb, "RGB").save(os.path.join(HERE, "rgb8.png"))
    save_expected("rgb8", rgb)

    key = int(grey[0, 0])
    Image.fromarray(grey, "L").save(os.path.join(HERE, "grey8_trns.png"), transparency=key)
    save_expected("grey8_trns", np.where(grey == key, 0, grey))

    rkey = tuple(int(v) for v in rgb[1, 2])
    Image.fromarray(rgb, "RGB").save(os.path.join(HERE, "rgb8_trns.png"), transparency=rkey)
    save_expected("rgb8_trns", np.where(np.all(rgb == np.array(rkey, dtype=np.uint8), axis=2)[..., None], 0, rgb))

    rgba = np.dstack([rgb, alpha])
    Image.fromarray(rgba, "RGBA").save(os.path.join(HERE, "rgba8.png"))
    save_expected("rgba8", over_black(rgb, alpha[..., None]))

    la = np.dstack([grey, alpha])
    Image.fromarray(la, "LA").save(os.path.join(HERE, "greyalpha8.png"))
    save_expected("greyalpha8", over_black(grey, alpha))

    pal = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    idx = rng.integers(0, 16, (H, W), dtype=np.uint8)
    p = Image.fromarray(idx, "P")
    p.putpalette(pal.flatten().tolist())
    p.save(os.path.join(HERE, "palette4.png"), bits=4)
    save_expected("palette4", pal[idx])

    trans = rng.integers(0, 256, 16, dtype=np.uint8)
    p.save(os.path.join(HERE, "palette8_trns.png"), transparency=bytes(trans.tolist()))
    save_expected("palette8_trns", over_black(pal[idx], trans[idx][..., None]))

    # ImageMagick: Adam7 interlacing, 16-bit RGB, and grey with a tRNS colour key.
    src = os.path.join(HERE, "rgb8.png")
    subprocess.run(["convert", src, "-interlace", "PNG", "PNG24:" + os.path.join(HERE, "rgb8_adam7.png")], check=True)
    save_expected("rgb8_adam7", rgb)
    subprocess.run(["convert", src, "-interlace", "PNG", "PNG8:" + os.path.join(HERE, "palette_adam7.png")], check=True)
    save_expected("palette_adam7", rgb)  # 117 pixels, at most 256 colours: the palette is exact
    subprocess.run(["convert", os.path.join(HERE, "grey8.png"), "-interlace", "PNG", "-define", "png:color-type=0",
                    "-define", "png:bit-depth=8", os.path.join(HERE, "grey_adam7.png")], check=True)
    save_expected("grey_adam7", grey)
    rgb16 = rng.integers(0, 65536, (H, W, 3), dtype=np.uint16)
    raw = os.path.join(HERE, "rgb16.raw")
    rgb16.astype(">u2").tofile(raw)
    subprocess.run(["convert", "-size", f"{W}x{H}", "-depth", "16", "-endian", "MSB", f"rgb:{raw}", "PNG48:" + os.path.join(HERE, "rgb16.png")], check=True)
    os.remove(raw)
    save_expected("rgb16", (rgb16 >> 8).astype(np.uint8))


if __name__ == "__main__":
    main()
