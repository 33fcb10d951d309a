"""Regenerate ``cellcourse/registry.json`` from the data manifest.

Usage::

    python scripts/make_registry.py ../shared/data/MANIFEST.tsv

The manifest lists every file of the course datasets (url, sha256, size,
licence). This script keeps those fields, adds a title, licence, citation and
description per dataset (written here, from the dataset README), checks that
every url is https on raw.githubusercontent.com at a pinned commit, and writes
the registry in a stable order so that regenerating it gives the same bytes.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

# Per-dataset facts, taken from the mirror's README (sections 1-14).
DATASETS = {
    "bbbc039_nuclei": dict(
        title="BBBC039v1 nuclei of U2OS cells (first 100 of 200 images) with instance masks",
        licence="CC0-1.0",
        citation=(
            "Caicedo J.C. et al. Evaluation of deep learning strategies for nucleus segmentation "
            "in fluorescence images. Cytometry A 95:952-965 (2019); Ljosa V. et al. Annotated "
            "high-throughput microscopy image sets for validation. Nat Methods 9:637 (2012)"
        ),
        doi=["10.1002/cyto.a.23863", "10.1038/nmeth.2083"],
        homepage="https://bbbc.broadinstitute.org/BBBC039",
        chapters=["00", "07", "08", "11"],
    ),
    "bccd_blood_cells": dict(
        title="BCCD blood cell detection: 364 stained blood smear images with RBC/WBC/platelet boxes",
        licence="MIT",
        citation="Shenggan. BCCD Dataset (GitHub Shenggan/BCCD_Dataset, 2017); clinical origin undocumented",
        doi=[],
        homepage="https://github.com/Shenggan/BCCD_Dataset",
        chapters=["01", "02", "03", "04", "05", "06", "12"],
    ),
    "cancer_cell_migration": dict(
        title="Time-lapse crop of migrating cancer cell nuclei with Voronoi-Otsu labels (48 frames)",
        licence="CC-BY-4.0",
        citation=(
            "Tinevez J.-Y. & Jacquemet G. Cell migration dataset, Zenodo (2021); crop from "
            "Haase R. BioImageAnalysisNotebooks"
        ),
        doi=["10.5281/zenodo.5206107"],
        homepage="https://github.com/haesleinhuepf/BioImageAnalysisNotebooks",
        chapters=["09"],
    ),
    "bbbc022_cellpainting_crop": dict(
        title="One 3-channel Cell Painting field of U2OS cells (BBBC022, DNA/ER/RNA)",
        licence="CC0-1.0",
        citation=(
            "Gustafsdottir S.M. et al. Multiplex cytological profiling assay to measure diverse "
            "cellular states. PLoS ONE 8:e80999 (2013); Ljosa V. et al. Nat Methods 9:637 (2012)"
        ),
        doi=["10.1371/journal.pone.0080999", "10.1038/nmeth.2083"],
        homepage="https://bbbc.broadinstitute.org/BBBC022",
        chapters=["00"],
    ),
    "bbbc007_drosophila_crops": dict(
        title="Four BBBC007 Drosophila Kc167 DNA crops with sparse scribble annotations",
        licence="CC0-1.0 (images, per BBBC) + CC-BY-4.0 (annotations)",
        citation=(
            "Jones T.R. et al. Voronoi-based segmentation of cells on image manifolds. CVBIA 2005; "
            "annotations: Haase R., BioImageAnalysisNotebooks"
        ),
        doi=["10.1038/nmeth.2083"],
        homepage="https://bbbc.broadinstitute.org/BBBC007",
        chapters=[],
    ),
    "bioimageanalysisnotebooks_repo_licenses": dict(
        title="Licence texts of BioImageAnalysisNotebooks (CC-BY-4.0 content, BSD-3-Clause code)",
        licence="licence texts",
        citation="Haase R. BioImageAnalysisNotebooks",
        doi=[],
        homepage="https://github.com/haesleinhuepf/BioImageAnalysisNotebooks",
        chapters=[],
    ),
    "c2c12_laptrack": dict(
        title="C2C12 phase-contrast time-lapse crop (10 frames) with per-frame labels",
        licence="CC-BY-4.0",
        citation=(
            "Ker D.F.E. et al. Phase contrast time-lapse microscopy datasets with automated and "
            "manual cell tracking annotations. Sci Data 5:180237 (2018); Fukai Y.T. & Kawaguchi K. "
            "LapTrack. Bioinformatics btac799 (2022)"
        ),
        doi=["10.1038/sdata.2018.237", "10.1093/bioinformatics/btac799"],
        homepage="https://github.com/yfukai/laptrack",
        chapters=["09"],
    ),
    "dsb2018_stardist": dict(
        title="One 2018 Data Science Bowl nuclei image with instance mask (as shipped by StarDist)",
        licence="CC0-1.0 (BBBC038 data); repository BSD-3-Clause",
        citation=(
            "Caicedo J.C. et al. Nucleus segmentation across imaging experiments: the 2018 Data "
            "Science Bowl. Nat Methods 16:1247-1253 (2019)"
        ),
        doi=["10.1038/s41592-019-0612-7"],
        homepage="https://github.com/stardist/stardist",
        chapters=["08"],
    ),
    "btrack_objects": dict(
        title="Localised, classified nuclei from a 500-frame time-lapse (detections table only)",
        licence="MIT",
        citation="Lowe lab UCL, btrack-examples (2022); Ulicna K. et al. Front. Comput. Sci. 3:734559 (2021)",
        doi=["10.3389/fcomp.2021.734559"],
        homepage="https://github.com/lowe-lab-ucl/btrack-examples",
        chapters=[],
    ),
    "cellmigration_gt": dict(
        title="Collective cell migration nuclei: CTC tracking ground truth (86 frames), detections, image crop",
        licence="CC-BY-4.0",
        citation=(
            "Fukai Y.T. & Kawaguchi K. LapTrack: linear assignment particle tracking with tunable "
            "metrics. Bioinformatics btac799 (2022); data from Zenodo 10.5281/zenodo.6087728"
        ),
        doi=["10.1093/bioinformatics/btac799", "10.5281/zenodo.6087728"],
        homepage="https://github.com/NoneqPhysLivingMatterLab/laptrack-optimisation",
        chapters=["09"],
    ),
    "c2c12_tracks_gt": dict(
        title="C2C12 myoblast lineage ground truth (780 frames, positions and divisions, no images)",
        licence="CC-BY-4.0",
        citation=(
            "Ker D.F.E. et al. Sci Data 5:180237 (2018); Fukai Y.T. & Kawaguchi K. "
            "Bioinformatics btac799 (2022)"
        ),
        doi=["10.1038/sdata.2018.237", "10.1093/bioinformatics/btac799"],
        homepage="https://github.com/NoneqPhysLivingMatterLab/laptrack-optimisation",
        chapters=["09"],
    ),
    "epidermis_tracks_gt": dict(
        title="Mouse paw epidermis: dense segmentation with lineage ground truth (15 frames)",
        licence="Apache-2.0",
        citation=(
            "Yamamoto T., Cockburn K., Greco V. & Kawaguchi K. Probing the rules of cell "
            "coordination in live tissues by interpretable machine learning based on graph neural "
            "networks. PLoS Comput Biol 18:e1010477 (2022); Fukai & Kawaguchi (2022)"
        ),
        doi=["10.1371/journal.pcbi.1010477", "10.1093/bioinformatics/btac799"],
        homepage="https://github.com/NoneqPhysLivingMatterLab/cell_interaction_gnn",
        chapters=["09"],
    ),
    "insilico_labeling_sample": dict(
        title="In silico labeling: 13 phase-contrast z-planes with confocal DAPI/MAP2/NFH (one field)",
        licence="CC-BY-4.0",
        citation=(
            "Christiansen E.M. et al. In silico labeling: predicting fluorescent labels in "
            "unlabeled images. Cell 173:792-803 (2018)"
        ),
        doi=["10.1016/j.cell.2018.03.040"],
        homepage="https://github.com/google/in-silico-labeling",
        chapters=["10"],
    ),
}


def main(manifest: str, out: str = "cellcourse/registry.json") -> None:
    rows = list(csv.DictReader(open(manifest, newline="", encoding="utf-8"), delimiter="\t"))
    registry: dict[str, dict] = {}
    for row in rows:
        name = row["dataset"]
        if name not in DATASETS:
            raise SystemExit(f"dataset {name!r} of the manifest has no entry in DATASETS")
        url = row["url"]
        prefix = f"https://raw.githubusercontent.com/{row['owner/repo']}/{row['commit']}/"
        if not url.startswith(prefix) or len(row["commit"]) != 40:
            raise SystemExit(f"url of {row['path']!r} is not pinned to a commit: {url}")
        entry = registry.setdefault(
            name, dict(name=name, **DATASETS[name], manifest_licence=row["license"], files=[])
        )
        entry["files"].append(
            dict(
                path=f"{row['owner/repo']}/{row['commit']}/{row['path']}",
                url=url,
                sha256=row["sha256"],
                size=int(row["size_bytes"]),
            )
        )
    missing = sorted(set(DATASETS) - set(registry))
    if missing:
        raise SystemExit(f"DATASETS lists datasets the manifest lacks: {missing}")
    for entry in registry.values():
        entry["files"].sort(key=lambda f: f["path"])
        entry["size"] = sum(f["size"] for f in entry["files"])
    doc = {
        "about": "cellcourse data registry: every file of every course dataset, pinned by sha256. "
        "Generated by scripts/make_registry.py from the data manifest; do not edit by hand.",
        "datasets": dict(sorted(registry.items())),
    }
    Path(out).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    n_files = sum(len(e["files"]) for e in registry.values())
    print(f"wrote {out}: {len(registry)} datasets, {n_files} files")


if __name__ == "__main__":
    main(*sys.argv[1:])
