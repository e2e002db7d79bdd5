"""Drives the PayPal stub with PayPal's server SDK (paypal-server-sdk on PyPI).

    paypal_flows.py BASE_URL  -> creates and captures an order, authorizes and captures
                                 another, refunds part of a capture; prints a JSON summary

The SDK only knows PayPal's sandbox and live hosts (Environment); its client takes a
Configuration, whose get_base_uri this script overrides to point at the stub.
"""

import json
import sys
import urllib.request

from paypalserversdk.configuration import Configuration, Environment
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient


def expect(actual, wanted, what):
    if actual != wanted:
        raise AssertionError(f"{what}: got {actual!r}, wanted {wanted!r}")


class StubConfiguration(Configuration):
    base = None

    def get_base_uri(self, server=None):
        return self.base


def client(base):
    StubConfiguration.base = base
    credentials = ClientCredentialsAuthCredentials(
        o_auth_client_id="client-id", o_auth_client_secret="client-secret"
    )
    config = StubConfiguration(
        environment=Environment.SANDBOX, client_credentials_auth_credentials=credentials
    )
    return PaypalServersdkClient(config=config)


def order(sdk, intent, value, request_id):
    body = OrderRequest(
        intent=intent,
        purchase_units=[
            PurchaseUnitRequest(amount=AmountWithBreakdown(currency_code="USD", value=value))
        ],
    )
    response = sdk.orders.create_order({"body": body, "paypal_request_id": request_id})
    return response.body


def approve(created):
    link = next(link.href for link in created.links if link.rel == "approve")
    with urllib.request.urlopen(link) as answer:
        expect(answer.status, 200, "the approve link")


def main(base):
    sdk = client(base)
    out = {}

    created = order(sdk, CheckoutPaymentIntent.CAPTURE, "25.00", "req-order-1")
    expect(created.status, "CREATED", "a new order")
    replay = order(sdk, CheckoutPaymentIntent.CAPTURE, "25.00", "req-order-1")
    expect(replay.id, created.id, "PayPal-Request-Id replay")
    try:
        sdk.orders.capture_order({"id": created.id})
        raise AssertionError("an unapproved order was captured")
    except ErrorException as error:
        expect(error.response_code, 422, "capture before approval")
        expect(error.details[0].issue, "ORDER_NOT_APPROVED", "the issue")
    approve(created)
    captured = sdk.orders.capture_order({"id": created.id}).body
    expect(captured.status, "COMPLETED", "a captured order")
    capture = captured.purchase_units[0].payments.captures[0]
    expect(capture.amount.value, "25.00", "the captured amount")
    fetched = sdk.orders.get_order({"id": created.id}).body
    expect(fetched.status, "COMPLETED", "get order")
    out["captured_order"] = created.id

    refund = sdk.payments.refund_captured_payment(
        {"capture_id": capture.id, "body": RefundRequest(amount=Money(currency_code="USD", value="10.00"))}
    ).body
    expect(refund.status, "COMPLETED", "a partial refund")
    try:
        sdk.payments.refund_captured_payment(
            {"capture_id": capture.id, "body": RefundRequest(amount=Money(currency_code="USD", value="20.00"))}
        )
        raise AssertionError("an over-refund passed")
    except ErrorException as error:
        expect(error.response_code, 422, "over-refund")
        expect(error.details[0].issue, "REFUND_AMOUNT_EXCEEDED", "over-refund issue")
    out["refund"] = refund.id

    held = order(sdk, CheckoutPaymentIntent.AUTHORIZE, "40.00", "req-order-2")
    approve(held)
    authorized = sdk.orders.authorize_order({"id": held.id}).body
    authorization = authorized.purchase_units[0].payments.authorizations[0]
    expect(authorization.status, "CREATED", "an authorization")
    settled = sdk.payments.capture_authorized_payment({"authorization_id": authorization.id}).body
    expect(settled.status, "COMPLETED", "an authorization captured")
    expect(settled.amount.value, "40.00", "the whole authorization")
    out["authorized_order"] = held.id
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
