# Segment a folder of microscopy images with a model saved by cellcourse (chapter 11).
#
#   docker build -t cellcourse-predict .
#   docker run --rm \
#       -v "$PWD/models/nuclei-unet:/model:ro" \
#       -v "$PWD/images:/input:ro" \
#       -v "$PWD/results:/output" \
#       cellcourse-predict /model /input /output
#
# The arguments after the image name go to `cellcourse predict MODEL INPUT_DIR OUTPUT_DIR`
# (add --overwrite, --format png, --quiet as needed). CPU only; the exit code is that of the
# command: 0 all images segmented, 1 some failed (see predictions.csv), 2 bad arguments.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    KERAS_BACKEND=tensorflow \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /opt/cellcourse
COPY pyproject.toml README.md LICENSE ./
COPY cellcourse ./cellcourse
RUN pip install . && useradd --create-home --uid 1000 predictor

# run as an ordinary user; the data cache (unused by predict) goes to its home
USER predictor
WORKDIR /home/predictor
ENTRYPOINT ["cellcourse", "predict"]
CMD ["--help"]
