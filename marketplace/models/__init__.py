"""All models, imported here so that metadata and migrations see every table."""

from .accounts import (  # noqa: F401
    BUYER_KINDS,
    CITIES,
    ROLE_BUYER,
    ROLE_PROMOTER,
    ROLE_STAFF,
    ROLES,
    Buyer,
    BuyerAddress,
    LoginThrottle,
    User,
    UserLogin,
)
from .agreements import Agreement, AgreementEvent, AgreementPrice  # noqa: F401
from .catalog import CATEGORIES, STOCK_REASONS, UNITS, Product, StockMovement  # noqa: F401
from .jobs import Job  # noqa: F401
from .notifications import Notification  # noqa: F401
from .orders import Cart, CartItem, Order, OrderEvent, OrderLine  # noqa: F401
from .payments import (  # noqa: F401
    AssociationFee,
    BuyerCard,
    CardCheckout,
    CardPayment,
    CreditTerms,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    LedgerEntry,
    OrderBilling,
    Payment,
    PaymentAllocation,
    StripeEvent,
)
from .producers import (  # noqa: F401
    Association,
    AssociationClosure,
    AssociationPhoto,
    DeliveryRule,
)
from .sms import InboundSms, PromoterRequest  # noqa: F401
from .standing_orders import (  # noqa: F401
    StandingOccurrence,
    StandingOccurrenceLine,
    StandingOrder,
    StandingOrderLine,
)
