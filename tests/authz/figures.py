"""The promoter's own figures and the buyer's spend: each sees only itself (the pages take no
id; tests/web/test_own_figures.py checks that another tenant's orders never show)."""

from tests.authz import BUYER_ONLY, PROMOTER_ONLY, Route

ROUTES = [
    Route("producer.figures", PROMOTER_ONLY),
    Route("buyer.spend", BUYER_ONLY),
]
