from PIL import Image

from marketplace.services.photos import store_image
from tests.authz import PUBLIC, Route


def extend(world):
    world.photo_stem = store_image(Image.new("RGB", (640, 480), (138, 59, 18)))


ROUTES = [
    Route("media.image", PUBLIC, kwargs=lambda w: {"stem": w.photo_stem, "size": "thumb"}),
]
