"""How long the U-Net takes to predict one whole BBBC039 image, tile by tile: a benchmark, not a test.

Builds the chapter-07 U-Net (untrained weights: the time does not depend on
them), then times :func:`cellcourse.preprocess.predict_tiled` on one 520 x 696
image for a few tile sizes and overlaps, and prints the median seconds per image
over repeated runs, after one warm-up call that builds the prediction graph.
A real BBBC039 image is used when a data mirror is configured
(``CELLCOURSE_DATA_MIRROR``), else a synthetic one of the same size.

Run from the repository root::

    python benchmarks/bench_tiled_prediction.py [--repeats 5] [--depth 3] [--filters 16]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import cellcourse as cc

SHAPE = (520, 696)  # BBBC039 image size (Y, X)


def _image() -> tuple[np.ndarray, str]:
    if cc.settings().mirror is not None:
        raw = cc.datasets.load_bbbc039(n_images=1, progress=False).images[0]
        source = "BBBC039 image 0"
    else:
        raw, _ = cc.synthetic.nuclei_image(SHAPE, n_nuclei=120, rng=0)
        source = "synthetic"
    return cc.preprocess.normalize_percentile(raw).astype(np.float32), source


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--filters", type=int, default=16)
    args = parser.parse_args(argv)

    import keras

    image, source = _image()
    cc.set_seed(0)
    model = cc.models.unet(
        input_shape=(None, None, 1), n_outputs=3, depth=args.depth, base_filters=args.filters
    )
    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; image {image.shape} ({source}); U-Net depth {args.depth}, "
        f"{args.filters} base filters, {model.count_params():,} parameters"
    )

    def predict(batch):
        return model.predict(batch, verbose=0)

    print(f"{'tile':>10} {'overlap':>8} {'tiles':>6} {'median s':>9} {'min s':>7}")
    for tile, overlap in ((256, 32), (256, 64), (512, 32)):
        layout_tiles = cc.preprocess.tile_image(image, (tile, tile), overlap)[0].shape[0]
        cc.preprocess.predict_tiled(
            predict, image, (tile, tile), overlap
        )  # warm-up: builds the graph
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = cc.preprocess.predict_tiled(predict, image, (tile, tile), overlap)
            times.append(time.perf_counter() - start)
        assert out.shape == (*SHAPE, 3)
        print(
            f"{tile:>4}x{tile:<5} {overlap:>8} {layout_tiles:>6} {np.median(times):>9.3f} {min(times):>7.3f}"
        )


if __name__ == "__main__":
    main()
