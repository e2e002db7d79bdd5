"""Python's smtplib against the mail stub, then the Mailpit API over plain HTTP.

Usage: mail_smtplib.py SMTP_HOST:PORT API_BASE MAX_SIZE
Prints one line per check; exits non-zero at the first failure.
"""
import json
import smtplib
import sys
import urllib.request
from email.message import EmailMessage

host, port = sys.argv[1].rsplit(":", 1)
api = sys.argv[2]
max_size = int(sys.argv[3])


def get(path):
    with urllib.request.urlopen(api + path) as response:
        return json.load(response)


def check(name, condition, detail=""):
    if not condition:
        sys.exit(f"FAILED {name}: {detail}")
    print(f"ok {name}")


smtp = smtplib.SMTP(host, int(port), local_hostname="client.test")
code, _ = smtp.ehlo()
check("ehlo", code == 250)
for extension in ("8bitmime", "smtputf8", "size"):
    check(f"advertises {extension}", smtp.has_extn(extension), smtp.esmtp_features)
check("advertised size", smtp.esmtp_features["size"] == str(max_size), smtp.esmtp_features)
check("no starttls", not smtp.has_extn("starttls"))
check("auth offered", "PLAIN" in smtp.esmtp_features.get("auth", ""), smtp.esmtp_features)
code, reply = smtp.login("shop-app", "any password")
check("any credentials accepted", code == 235, reply)

plain = EmailMessage()
plain["From"] = "Shop <shop@example.com>"
plain["To"] = "ana@example.com"
plain["Subject"] = "Plain"
plain["X-Message-Key"] = "plain-1"
plain.set_content("Just text.")
smtp.send_message(plain)

alternative = EmailMessage()
alternative["From"] = "shop@example.com"
alternative["To"] = "Bob Builder <bob@example.com>"
alternative["Subject"] = "Votre commande n°42 ✓"
alternative.set_content("Order 42 confirmed: https://shop.test/orders/42")
alternative.add_alternative(
    '<p>Order <b>42</b> confirmed: <a href="https://shop.test/orders/42">view</a></p>',
    subtype="html",
)
alternative.add_attachment(
    b"%PDF-1.4 fake invoice", maintype="application", subtype="pdf", filename="invoice-42.pdf"
)
smtp.send_message(alternative)

utf8 = EmailMessage()
utf8["From"] = "boutique@exemple.fr"
utf8["To"] = "Zoë <zoë@exämple.fr>"
utf8["Subject"] = "Ünïcödé"
utf8.set_content("Grüße")
smtp.send_message(utf8, mail_options=["SMTPUTF8"])
smtp.mail("a@example.com")
smtp.command_encoding = "utf-8"  # smtplib itself refuses to send it otherwise
code, reply = smtp.rcpt("zoë@exämple.fr")
smtp.command_encoding = "ascii"
check("a non-ascii recipient needs SMTPUTF8", code == 553, reply)
smtp.rset()

code, reply = smtp.docmd("GARBAGE", "command")
check("garbage answered 500", code == 500, reply)
code, reply = smtp.docmd("VRFY", "ana@example.com")
check("vrfy refused", code == 502, reply)
code, reply = smtp.docmd("MAIL", "FROM:<broken")
check("bad syntax answered 501", code == 501, reply)
smtp.rset()

big = "Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * (max_size // 72 + 10)
try:
    # smtplib announces the size (SIZE=n) when the server advertises SIZE: 552 at MAIL FROM.
    smtp.sendmail("shop@example.com", ["ana@example.com"], big)
    check("oversized refused at MAIL FROM", False, "accepted")
except smtplib.SMTPSenderRefused as error:
    check("oversized refused at MAIL FROM SIZE with 552", error.smtp_code == 552, error)
# Without SIZE the server learns the size from the data: 552 after the final dot.
smtp.mail("shop@example.com")
smtp.rcpt("ana@example.com")
code, reply = smtp.data(big)
check("oversized refused after DATA with 552", code == 552, reply)
code, _ = smtp.noop()
check("the session survives", code == 250)
smtp.quit()

listing = get("/api/v1/messages")
check("three messages", listing["total"] == 3 and listing["messages_count"] == 3, listing)
subjects = [m["Subject"] for m in listing["messages"]]
check("newest first, subjects decoded", subjects == ["Ünïcödé", "Votre commande n°42 ✓", "Plain"], subjects)
summary = listing["messages"][1]
check("summary attachments count", summary["Attachments"] == 1, summary)
check("summary to", summary["To"] == [{"Name": "Bob Builder", "Address": "bob@example.com"}], summary)
check("the AUTH user name", summary["Username"] == "shop-app", summary)
message = get("/api/v1/message/" + summary["ID"])
check("text part", message["Text"].strip() == "Order 42 confirmed: https://shop.test/orders/42", message["Text"])
check("html part", "<b>42</b>" in message["HTML"], message["HTML"])
attachment = message["Attachments"][0]
check(
    "attachment",
    (attachment["FileName"], attachment["ContentType"], attachment["Size"])
    == ("invoice-42.pdf", "application/pdf", 21),
    attachment,
)
headers = get("/api/v1/message/" + listing["messages"][2]["ID"] + "/headers")
check("headers", headers["X-Message-Key"] == ["plain-1"], headers)
utf8_summary = listing["messages"][0]
check("utf-8 address", utf8_summary["To"][0]["Address"] == "zoë@exämple.fr", utf8_summary)
found = get("/api/v1/search?query=" + urllib.parse.quote("to:bob subject:commande"))
check("search", [m["ID"] for m in found["messages"]] == [summary["ID"]], found)
with urllib.request.urlopen(api + "/api/v1/message/" + summary["ID"] + "/raw") as response:
    raw = response.read()
check("raw source", b"Subject: Votre commande =?utf-8?b?" in raw, raw[:300])
