"""Photos: checked by content, re-encoded without metadata, stored under server-chosen names.

An upload is trusted for nothing: Pillow must recognise it as JPEG, PNG or WebP, it must fit
the byte and pixel limits, and what is kept is a fresh WebP encoding of its pixels (EXIF
orientation applied first, then every byte of metadata, GPS included, left behind). Each
photo is stored as `<stem>-thumb.webp` and `<stem>-medium.webp` in UPLOAD_DIR, where the stem
is a random uuid4 hex chosen here; the uploaded file name is never used.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import uuid
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from . import DomainError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
DEFAULT_MAX_PIXELS = 40_000_000  # a 40-megapixel photo is bigger than any phone takes
STEM_PATTERN = re.compile(r"^[0-9a-f]{32}$")

# name -> (largest width, largest height, WebP quality). The height cap keeps a very tall
# image from producing a huge "thumbnail"; ordinary photos are limited by their width.
SIZES = {
    "thumb": (320, 640, 70),
    "medium": (960, 1920, 80),
}


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def image_path(stem: str, size: str) -> Path:
    """Where one rendition of a stored photo lives (the stem and size must be known-good)."""
    if not is_valid_stem(stem) or size not in SIZES:
        raise ValueError("unknown photo stem or size")
    return upload_dir() / f"{stem}-{size}.webp"


def is_valid_stem(stem: str | None) -> bool:
    return isinstance(stem, str) and STEM_PATTERN.fullmatch(stem) is not None


def max_bytes() -> int:
    return int(current_app.config["PHOTO_MAX_BYTES"])


def max_pixels() -> int:
    return int(current_app.config.get("PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def store_upload(file_storage) -> str:
    """Check an uploaded file (werkzeug FileStorage) and store it; returns the new stem."""
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise DomainError(_l("Elige una foto."), field="photo")
    limit = max_bytes()
    data = file_storage.stream.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            _l("La foto pesa más de %(mb)s MB; elige una más liviana.", mb=limit // 2**20),
            field="photo",
        )
    if not data:
        raise DomainError(_l("El archivo está vacío."), field="photo")
    return store_image(open_checked(data))


def open_checked(data: bytes) -> Image.Image:
    """Open bytes as a JPEG, PNG or WebP image, refusing anything else and decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            if probe.width * probe.height > max_pixels():
                raise too_many_pixels()
            probe.verify()  # structure and checksums; the image is unusable afterwards
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise not_a_photo() from None
    if image.format not in ACCEPTED_FORMATS:
        raise not_a_photo()
    return image


def not_a_photo() -> DomainError:
    return DomainError(_l("Este archivo no es una foto JPEG, PNG o WebP."), field="photo")


def too_many_pixels() -> DomainError:
    return DomainError(
        _l("La foto tiene demasiados píxeles; redúcela antes de subirla."), field="photo"
    )


def store_image(image: Image.Image) -> str:
    """Store an image (an upload already checked, or one drawn with Pillow); returns its stem."""
    clean = without_metadata(image)
    stem = uuid.uuid4().hex
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for size, (width, height, quality) in SIZES.items():
            rendition = clean.copy()
            rendition.thumbnail((width, height), Image.Resampling.LANCZOS)
            target = folder / f"{stem}-{size}.webp"
            write_atomically(rendition, target, quality)
            written.append(target)
    except Exception:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return stem


def without_metadata(image: Image.Image) -> Image.Image:
    """The pixels alone, upright: orientation applied, then a fresh image with no info."""
    upright = ImageOps.exif_transpose(image) or image
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    pixels = upright.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def write_atomically(image: Image.Image, target: Path, quality: int) -> None:
    """Encode to a temporary file beside the target, then rename: readers never see half a file."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".webp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            image.save(tmp, format="WEBP", quality=quality, method=6)
        os.replace(tmp_name, target)
    except Exception:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def delete_image(stem: str | None) -> None:
    """Remove every rendition of a stored photo; unknown or missing stems are ignored."""
    if not is_valid_stem(stem):
        return
    for size in SIZES:
        (upload_dir() / f"{stem}-{size}.webp").unlink(missing_ok=True)
