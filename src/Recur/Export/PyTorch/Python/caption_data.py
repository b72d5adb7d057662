"""The captioning run's scenes as `recur caption train` reads them (src/Recur/Tasks/Caption/CaptionDefinition.cs).

Recur draws the scenes (src/Recur/Data/Scenes/SceneGenerator.cs); the package does not draw them again but holds them
in scenes.safetensors: for the training scenes and the validation scenes (seen compositions, then held-out ones),
`SPLIT.cells` (N, G*G), the index of the Fashion-MNIST training image in each cell of the 3 x 3 canvas (-1: empty), and
`SPLIT.captions` (N, max_words + 2), the canonical caption encoded. A scene is rendered as Recur renders it: an
84 x 84 black canvas with each item's 28 x 28 image copied into its cell; pixels byte / 255. The images come from the
run's data folder (IDX files, `--data FOLDER` when it is elsewhere). Batches: classify_data.EpochBatches, Recur's
shuffled order (xoshiro256**), worker r of N taking the examples [r B / N, (r + 1) B / N) of every batch.
"""

import os

import torch

import classify_data
import recur_safetensors

CELL = 28

EpochBatches, shard = classify_data.EpochBatches, classify_data.shard


def load_scenes(folder, config):
    path = os.path.join(folder, config.get("export", {}).get("scenes", "scenes.safetensors"))
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: export the run again where its image folder can be read (recur export RUN --pytorch DIR --data FOLDER)")
    return recur_safetensors.load(path)[0]


def images(config, given=None):
    """The Fashion-MNIST training images (N, 28, 28) uint8 the scenes are drawn from."""
    folder = classify_data.data_folder(config, given)
    return classify_data.read_idx(classify_data.find(folder, "train-images-idx3-ubyte"))


def render(cells, source):
    """Scenes (N, side, side) in [0, 1] from their cells (N, G*G) and the source images (M, 28, 28) uint8."""
    N, G2 = cells.shape
    G = int(round(G2 ** 0.5))
    canvas = torch.zeros(N, G * CELL, G * CELL, dtype=torch.uint8)
    for k in range(G2):
        used = cells[:, k] >= 0
        if used.any():
            r, c = (k // G) * CELL, (k % G) * CELL
            canvas[used, r:r + CELL, c:c + CELL] = source[cells[used, k]]
    return canvas.to(torch.float32) / 255.0


def features(encoder, cells, source, chunk=256):
    """The frozen encoder's features (N, L, D) of the scenes, in chunks."""
    out = []
    with torch.no_grad():
        for s in range(0, cells.shape[0], chunk):
            out.append(encoder(render(cells[s:s + chunk], source)))
    return torch.cat(out) if out else torch.zeros(0)


def split(folder, config, name, encoder, given=None):
    """(features (N, L, D), captions (N, W)) of split `name` (train or validation)."""
    scenes = load_scenes(folder, config)
    cells, captions = scenes[f"{name}.cells"], scenes[f"{name}.captions"]
    return features(encoder, cells, images(config, given)), captions
