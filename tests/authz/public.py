from tests.authz import PUBLIC, Route

ROUTES = [
    Route("public.index", PUBLIC),
    Route("public.product", PUBLIC, kwargs=lambda w: {"product_id": w.product.id}),
    Route("public.associations", PUBLIC),
    Route("public.association", PUBLIC, kwargs=lambda w: {"slug": w.association.slug}),
]
