"""Seeds the bench's demo tenant: the tenant row (tenants are provisioned by operators, not the
API), a seller and a buyer registered through the API (the seller promoted in SQL), categories,
and products with variants and stock created by the seller through the API. Prints the buyer's
access token.

    python3 bench/shop/seed.py SHOP_URL PSQL           # seed, print the buyer's token
    python3 bench/shop/seed.py SHOP_URL PSQL --login   # only a fresh token of the buyer
"""

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

shop, psql = sys.argv[1], sys.argv[2]
login_only = sys.argv[3:] == ["--login"]


def sql(statement):
    subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-qAtc", statement], check=True, stdout=subprocess.DEVNULL)


def call(method, path, body=None, token=None, write=False):
    headers = {"Content-Type": "application/json", "X-Tenant": "demo"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if write:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(shop + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read()
    except urllib.error.HTTPError as error:
        sys.exit(f"seed: {method} {path} answered {error.code}: {error.read().decode(errors='replace')}")
    return json.loads(text) if text else None


password = "bench-password-long-enough"
if login_only:
    print(call("POST", "/auth/login", {"email": "buyer@demo.test", "password": password})["access_token"])
    sys.exit(0)
sql("INSERT INTO tenants (slug, name, country, default_currency, currencies, created_at) "
    "VALUES ('demo', 'Demo shop', 'DE', 'EUR', ARRAY['EUR', 'USD', 'JPY'], now()) ON CONFLICT DO NOTHING")
sql("INSERT INTO categories (tenant_id, slug, name) SELECT id, c.slug, c.name FROM tenants, "
    "(VALUES ('apparel', 'Apparel'), ('home', 'Home')) AS c(slug, name) WHERE tenants.slug = 'demo' "
    "ON CONFLICT DO NOTHING")
for email in ("seller@demo.test", "buyer@demo.test"):
    call("POST", "/auth/register", {"email": email, "password": password, "name": email.split("@")[0]})
sql("UPDATE users SET role = 'seller' WHERE email = 'seller@demo.test'")
seller = call("POST", "/auth/login", {"email": "seller@demo.test", "password": password})["access_token"]
categories = {item["slug"]: item["id"] for item in call("GET", "/categories")["items"]}
for number, (name, category, price) in enumerate(
    [("Linen shirt", "apparel", 4900), ("Wool scarf", "apparel", 2900), ("Stoneware mug", "home", 1800),
     ("Oak tray", "home", 3500), ("Cotton tee", "apparel", 1900)], start=1):
    product = call("POST", "/products", {
        "name": name, "slug": name.lower().replace(" ", "-"), "description": f"The {name.lower()}.",
        "category_id": categories[category], "status": "active"}, seller, write=True)
    call("POST", f"/products/{product['id']}/variants", {
        "sku": f"SKU-{number}", "name": "One size", "price_minor": price, "stock": 50}, seller, write=True)
print(call("POST", "/auth/login", {"email": "buyer@demo.test", "password": password})["access_token"])
