"""Drives the Stripe stub with Stripe's own Python SDK (stripe on PyPI).

    stripe_flows.py flows BASE_URL        -> runs the payment flows, prints a JSON summary
    stripe_flows.py verify FILE SECRET... -> checks each webhook of FILE (a JSON list of
                                             {"payload", "signature"}) with
                                             stripe.Webhook.construct_event, prints the types

Any failed expectation raises (exit code 1), naming what differed.
"""

import json
import sys

import stripe


def expect(actual, wanted, what):
    if actual != wanted:
        raise AssertionError(f"{what}: got {actual!r}, wanted {wanted!r}")


def flows(base):
    stripe.api_key = "sk_test_sdk"
    stripe.api_base = base
    stripe.max_network_retries = 0
    out = {}

    paid = stripe.PaymentIntent.create(
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        payment_method_types=["card"],
        confirm=True,
        metadata={"order": "42"},
    )
    expect(paid.status, "succeeded", "a visa payment")
    expect(paid.metadata["order"], "42", "metadata round trip")
    out["succeeded"] = paid.id

    try:
        stripe.PaymentIntent.create(
            amount=2000, currency="usd", payment_method="pm_card_chargeDeclined", confirm=True
        )
        raise AssertionError("a declined card did not raise")
    except stripe.CardError as error:
        expect(error.code, "card_declined", "decline code")
        expect(error.http_status, 402, "decline status")
        expect(error.error.decline_code, "generic_decline", "decline_code")
        declined = stripe.PaymentIntent.retrieve(error.error.payment_intent["id"])
        expect(declined.status, "requires_payment_method", "after a decline")
        expect(declined.last_payment_error.code, "card_declined", "last_payment_error")
        out["declined"] = declined.id

    challenged = stripe.PaymentIntent.create(
        amount=3000,
        currency="eur",
        payment_method="pm_card_authenticationRequired",
        confirm=True,
        return_url="https://shop.test/return",
    )
    expect(challenged.status, "requires_action", "3DS card")
    expect(challenged.next_action.type, "redirect_to_url", "3DS next_action")
    authenticated = stripe.PaymentIntent.confirm(challenged.id)
    expect(authenticated.status, "succeeded", "after 3DS")
    out["three_d_secure"] = challenged.id

    held = stripe.PaymentIntent.create(
        amount=5000,
        currency="usd",
        payment_method="pm_card_mastercard",
        capture_method="manual",
        confirm=True,
    )
    expect(held.status, "requires_capture", "manual capture")
    expect(held.amount_capturable, 5000, "amount_capturable")
    captured = stripe.PaymentIntent.capture(held.id, amount_to_capture=3500)
    expect(captured.status, "succeeded", "captured")
    expect(captured.amount_received, 3500, "amount_received")
    out["captured"] = held.id

    refund = stripe.Refund.create(payment_intent=paid.id, amount=500)
    expect(refund.status, "succeeded", "partial refund")
    expect(refund.amount, 500, "refund amount")
    charge = stripe.Charge.retrieve(refund.charge)
    expect(charge.amount_refunded, 500, "amount_refunded")
    expect(charge.refunded, False, "partially refunded")
    try:
        stripe.Refund.create(payment_intent=paid.id, amount=5000)
        raise AssertionError("an over-refund did not raise")
    except stripe.InvalidRequestError as error:
        expect(error.code, "amount_too_large", "over-refund code")
    out["refund"] = refund.id

    first = stripe.PaymentIntent.create(amount=1200, currency="usd", idempotency_key="sdk-order-7")
    again = stripe.PaymentIntent.create(amount=1200, currency="usd", idempotency_key="sdk-order-7")
    expect(again.id, first.id, "an idempotent replay")
    expect(again.last_response.headers.get("Idempotent-Replayed"), "true", "replay header")
    try:
        stripe.PaymentIntent.create(amount=9900, currency="usd", idempotency_key="sdk-order-7")
        raise AssertionError("a reused key with other parameters did not raise")
    except stripe.IdempotencyError as error:
        expect(error.http_status, 400, "reused key status")
    out["idempotent"] = first.id

    try:
        stripe.PaymentIntent.create(amount=1000, currency="usd", colour="red")
        raise AssertionError("an unknown parameter did not raise")
    except stripe.InvalidRequestError as error:
        expect(error.param, "colour", "unknown parameter")
        expect(error.code, "parameter_unknown", "unknown parameter code")

    page = stripe.PaymentIntent.list(limit=2)
    expect(len(page.data), 2, "a page of 2")
    expect(page.has_more, True, "has_more")
    every = [intent.id for intent in stripe.PaymentIntent.list(limit=2).auto_paging_iter()]
    expect(len(every), len(set(every)), "pages without repeats")
    out["listed"] = len(every)
    print(json.dumps(out))


def verify(path, secrets):
    hooks = json.load(open(path))
    types = []
    for hook in hooks:
        for secret in secrets:
            event = stripe.Webhook.construct_event(hook["payload"], hook["signature"], secret)
        types.append(event.type)
        try:
            stripe.Webhook.construct_event(hook["payload"] + " ", hook["signature"], secrets[0])
            raise AssertionError("a tampered payload verified")
        except stripe.SignatureVerificationError:
            pass
    print(json.dumps(types))


if __name__ == "__main__":
    if sys.argv[1] == "flows":
        flows(sys.argv[2])
    else:
        verify(sys.argv[2], sys.argv[3:])
