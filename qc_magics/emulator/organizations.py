"""Routes for the account and the organization: what lean-cli reads before it estimates an
optimization (`organizations/read`) and when it sets up a folder (`organizations/list`).

Neither organization endpoint is in the OpenAPI spec; the shapes are the ones lean-cli's pydantic
models require (`lean/models/api.py` `QCFullOrganization`, `QCMinimalOrganization`, read by
`components/api/organization_client.py`). `account/read` may carry `card: null` (an organization
without a card on file, Lean `Tests/Api/AccountTests.cs`): `App.card_on_file` switches it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .request import Request, RouteError

if TYPE_CHECKING:
    from .app import App

ORGANIZATION_NAME = "Emulated Organization"
OPENED = "2026-01-02 09:00:00"
CARD = {"brand": "visa", "expiration": "12/29", "last4": "4242"}


def _check_organization(app: "App", req: Request) -> None:
    wanted = req.str("organizationId", None)
    if wanted is not None and wanted != app.state.organization_id:
        raise RouteError(f"Organization not found: {wanted} (the emulator has one organization, "
                         f"{app.state.organization_id})")


def account(app: "App", req: Request) -> dict:
    _check_organization(app, req)
    return {"organizationId": app.state.organization_id, "creditBalance": app.state.balance,
            "card": dict(CARD) if app.card_on_file else None}


def _member(app: "App") -> dict[str, Any]:
    user = app.state.user_id
    return {"id": int(user) if user.isdigit() else 1, "name": "Emulated User", "isAdmin": True,
            "email": f"user-{user}@example.com"}


def read_organization(app: "App", req: Request) -> dict:
    _check_organization(app, req)
    balance = app.state.balance
    return {"organization": {
        "id": app.state.organization_id, "name": ORGANIZATION_NAME, "seats": 1, "type": "Team",
        "credit": {"balance": balance, "movements": [{
            "date": OPENED, "description": "Opening balance of the emulated organization",
            "type": "credit", "subtype": "purchase", "amount": balance, "balance": balance}]},
        "products": [{"name": "Seats", "items": [{
            "productId": 1, "name": "Team Seat", "quantity": 1, "unitPrice": 0.0,
            "total": 0.0}]}],
        "data": {"signedTime": None, "current": False},
        "members": [_member(app)],
    }}


def list_organizations(app: "App", req: Request) -> dict:
    return {"organizations": [{
        "id": app.state.organization_id, "name": ORGANIZATION_NAME, "type": "Team",
        "ownerName": "Emulated User", "members": 1, "preferred": True}]}


ROUTES = {
    "/account/read": account,
    "/organizations/read": read_organization,
    "/organizations/list": list_organizations,
}
READ_ONLY = set(ROUTES)
