"""Photo storage: only real JPEG/PNG/WebP photos get in, re-encoded without metadata under
names the server chooses; the media route serves them with long cache headers."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from marketplace.services import DomainError
from marketplace.services.photos import (
    delete_image,
    image_path,
    store_image,
    store_upload,
)

STORED_NAME = re.compile(r"^[0-9a-f]{32}-(thumb|medium)\.webp$")
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_like(width=1600, height=1200) -> Image.Image:
    """An image with detail and gradients, so sizes behave like a real photo's."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 37):
        draw.ellipse(
            [i, (i * 7) % height, i + 90, (i * 7) % height + 60],
            fill=((i * 3) % 256, (i * 5) % 256, 120),
        )
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(image, noise, 0.25)


def jpeg_bytes(image=None, *, gps=False, orientation=None, quality=90) -> bytes:
    image = image or photo_like()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    if gps:
        exif[GPS_IFD] = {1: "S", 2: (13.0, 31.0, 12.5), 3: "W", 4: (71.0, 58.0, 3.2)}
    if orientation:
        exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def png_bytes(image=None) -> bytes:
    buffer = io.BytesIO()
    (image or photo_like(800, 600)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(data: bytes, filename="foto.jpg", content_type="image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def png_bomb(width=40000, height=40000) -> bytes:
    """A tiny PNG that claims to be 1.6 gigapixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 16)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def stored_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def request_ctx(app):
    """Messages are translated, so refusals need a request (as in the web views)."""
    with app.test_request_context():
        yield


def test_jpeg_with_gps_is_stored_as_webp_without_any_metadata(app, request_ctx):
    stem = store_upload(upload(jpeg_bytes(gps=True)))
    assert stored_files(app) == [f"{stem}-medium.webp", f"{stem}-thumb.webp"]
    for size in ("thumb", "medium"):
        raw = image_path(stem, size).read_bytes()
        assert raw[:4] == b"RIFF" and raw[8:12] == b"WEBP"
        assert b"EXIF" not in raw and b"Exif" not in raw and b"PhoneMaker" not in raw
        with Image.open(image_path(stem, size)) as stored:
            assert stored.format == "WEBP"
            assert "exif" not in stored.info and "icc_profile" not in stored.info
            assert len(stored.getexif()) == 0


def test_exif_orientation_is_applied_before_it_is_dropped(app, request_ctx):
    stem = store_upload(upload(jpeg_bytes(photo_like(1200, 800), orientation=6)))
    with Image.open(image_path(stem, "medium")) as stored:
        assert stored.width < stored.height  # the camera held sideways: stored upright


def test_thumb_is_at_most_320_wide_and_small_medium_at_most_960(app, request_ctx):
    stem = store_upload(upload(jpeg_bytes(photo_like(4000, 3000))))
    with Image.open(image_path(stem, "thumb")) as thumb:
        assert thumb.width == 320
    with Image.open(image_path(stem, "medium")) as medium:
        assert medium.width == 960
    assert image_path(stem, "thumb").stat().st_size < 30 * 1024


def test_small_images_are_not_enlarged(app, request_ctx):
    stem = store_upload(upload(jpeg_bytes(photo_like(200, 150))))
    with Image.open(image_path(stem, "medium")) as medium:
        assert medium.size == (200, 150)


def test_png_is_accepted_and_keeps_transparency(app, request_ctx):
    image = Image.new("RGBA", (500, 400), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([100, 100, 300, 300], fill=(138, 59, 18, 255))
    stem = store_upload(upload(png_bytes(image), "logo.png", "image/png"))
    with Image.open(image_path(stem, "thumb")) as stored:
        assert stored.mode == "RGBA"
        assert stored.getpixel((0, 0))[3] == 0


def test_webp_is_accepted(app, request_ctx):
    buffer = io.BytesIO()
    photo_like(640, 480).save(buffer, "WEBP")
    assert store_upload(upload(buffer.getvalue(), "a.webp", "image/webp"))


def test_names_are_chosen_by_the_server(app, request_ctx):
    stem = store_upload(upload(jpeg_bytes(), filename="../../etc/passwd.jpg"))
    assert re.fullmatch(r"[0-9a-f]{32}", stem)
    names = stored_files(app)
    assert names == sorted([f"{stem}-thumb.webp", f"{stem}-medium.webp"])
    assert all(STORED_NAME.match(name) for name in names)
    assert store_upload(upload(jpeg_bytes())) != stem


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"Hola, esto es texto y no una foto.\n" * 20, "foto.jpg"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "foto.svg",
        ),
        (b"<html><body>hola</body></html>", "foto.png"),
        (jpeg_bytes(photo_like(300, 200))[:600], "cortada.jpg"),  # truncated JPEG
    ],
    ids=["text-renamed-jpg", "svg", "html-renamed-png", "truncated-jpeg"],
)
def test_files_that_are_not_jpeg_png_or_webp_are_refused(app, request_ctx, data, filename):
    with pytest.raises(DomainError) as refused:
        store_upload(upload(data, filename))
    assert refused.value.field == "photo"
    assert "no es una foto JPEG, PNG o WebP" in refused.value.message
    assert stored_files(app) == []


def test_other_image_formats_are_refused(app, request_ctx):
    buffer = io.BytesIO()
    photo_like(300, 200).save(buffer, "GIF")
    with pytest.raises(DomainError, match="JPEG, PNG o WebP"):
        store_upload(upload(buffer.getvalue(), "animada.jpg"))
    assert stored_files(app) == []


def test_too_many_bytes_is_refused(app, request_ctx):
    data = jpeg_bytes()
    app.config["PHOTO_MAX_BYTES"] = len(data) - 1
    with pytest.raises(DomainError) as refused:
        store_upload(upload(data))
    assert "pesa más de" in refused.value.message
    assert stored_files(app) == []


def test_default_byte_limit_is_five_megabytes(app):
    assert app.config["PHOTO_MAX_BYTES"] == 5 * 1024 * 1024


def test_decompression_bomb_is_refused(app, request_ctx):
    with pytest.raises(DomainError, match="demasiados píxeles"):
        store_upload(upload(png_bomb(), "bomba.png", "image/png"))
    assert stored_files(app) == []


def test_pixel_limit_is_configurable(app, request_ctx):
    app.config["PHOTO_MAX_PIXELS"] = 100 * 100
    with pytest.raises(DomainError, match="demasiados píxeles"):
        store_upload(upload(jpeg_bytes(photo_like(200, 200))))
    assert stored_files(app) == []
    app.config["PHOTO_MAX_PIXELS"] = 200 * 200
    assert store_upload(upload(jpeg_bytes(photo_like(200, 200))))


def test_empty_upload_is_refused(app, request_ctx):
    with pytest.raises(DomainError):
        store_upload(upload(b""))
    with pytest.raises(DomainError, match="Elige una foto"):
        store_upload(FileStorage(stream=io.BytesIO(b""), filename=""))
    assert stored_files(app) == []


def test_store_image_takes_a_drawn_pillow_image_without_a_request(app):
    """Demo data draws its pictures with Pillow and stores them from a CLI command."""
    stem = store_image(photo_like(1280, 960))
    with Image.open(image_path(stem, "thumb")) as thumb:
        assert thumb.size == (320, 240)


def test_delete_image_removes_every_size_and_ignores_bad_stems(app):
    stem = store_image(photo_like(400, 300))
    delete_image(stem)
    assert stored_files(app) == []
    delete_image(stem)  # already gone: fine
    delete_image("../../etc/passwd")
    delete_image(None)


# --- The media route ------------------------------------------------------------------------


def test_media_serves_a_stored_photo_with_long_cache_headers(app, client):
    stem = store_image(photo_like(640, 480))
    for size in ("thumb", "medium"):
        response = client.get(f"/media/{stem}-{size}.webp")
        assert response.status_code == 200
        assert response.mimetype == "image/webp"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        cache = response.cache_control
        assert cache.max_age >= 365 * 24 * 3600
        assert cache.public and cache.immutable
        assert response.data == image_path(stem, size).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/media/{stem}-large.webp",
        "/media/{stem}-thumb.jpg",
        "/media/{upper}-thumb.webp",
        "/media/abc-thumb.webp",
        "/media/..%2F..%2Fetc%2Fpasswd-thumb.webp",
        "/media/../config.py",
        "/media/%2e%2e%2f{stem}-thumb.webp",
        "/media/00000000000000000000000000000000-thumb.webp",  # valid shape, no file
    ],
)
def test_media_answers_404_for_anything_but_a_stored_photo(app, client, path):
    stem = store_image(photo_like(64, 48))
    response = client.get(path.format(stem=stem, upper=stem.upper()))
    assert response.status_code == 404
    assert response.mimetype == "text/html"  # the error page, never a file


def test_media_is_public(app, client):
    stem = store_image(photo_like(64, 48))
    response = client.get(f"/media/{stem}-thumb.webp")  # nobody logged in
    assert response.status_code == 200
    assert response.data == image_path(stem, "thumb").read_bytes()
