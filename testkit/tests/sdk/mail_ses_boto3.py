"""boto3's SESv2 client against the mail stub, with an SNS receiver for its notifications.

Usage: mail_ses_boto3.py API_BASE RECEIVER_PORT
The stub must POST notifications to http://127.0.0.1:RECEIVER_PORT/sns.
"""
import base64
import json
import queue
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
from botocore.exceptions import ClientError

api = sys.argv[1]
port = int(sys.argv[2])
received = queue.Queue()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.put((dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", port), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()


def check(name, condition, detail=""):
    if not condition:
        sys.exit(f"FAILED {name}: {detail}")
    print(f"ok {name}")


def get(path):
    with urllib.request.urlopen(api + path) as response:
        return json.load(response)


ses = boto3.client(
    "sesv2",
    endpoint_url=api,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
)

sent = ses.send_email(
    FromEmailAddress="Shop <shop@example.com>",
    Destination={"ToAddresses": ["ana@example.com"], "CcAddresses": ["audit@example.com"]},
    Content={
        "Simple": {
            "Subject": {"Data": "Your receipt", "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": "Thanks for your order."},
                "Html": {"Data": "<p>Thanks for your <b>order</b>.</p>"},
            },
        }
    },
    EmailTags=[{"Name": "template", "Value": "receipt"}],
    ConfigurationSetName="transactional",
)
check("send_email returns a MessageId", sent["MessageId"].endswith("-000000"), sent)
found = get("/api/v1/search?query=" + urllib.parse.quote("to:ana@example.com"))
check("the send lands in the Mailpit API", found["messages_count"] == 1, found)
message = get("/api/v1/message/" + found["messages"][0]["ID"])
check("subject and bodies", (message["Subject"], message["Text"].strip()) == ("Your receipt", "Thanks for your order."), message)
check("cc", message["Cc"] == [{"Name": "", "Address": "audit@example.com"}], message["Cc"])

raw = b"From: shop@example.com\r\nTo: raw@example.com\r\nSubject: Raw one\r\n\r\nRaw body\r\n"
ses.send_email(Content={"Raw": {"Data": raw}})
found = get("/api/v1/search?query=" + urllib.parse.quote("subject:\"Raw one\""))
check("raw content", found["messages_count"] == 1, found)

bounced = ses.send_email(
    FromEmailAddress="shop@example.com",
    Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
    Content={"Simple": {"Subject": {"Data": "Bounce me"}, "Body": {"Text": {"Data": "x"}}}},
)
headers, sns = received.get(timeout=20)
check("an SNS notification", sns["Type"] == "Notification" and headers.get("x-amz-sns-message-type") == "Notification", headers)
for field in ("MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"):
    check(f"SNS field {field}", bool(sns.get(field)), sns)
notification = json.loads(sns["Message"])
check("a bounce", notification["notificationType"] == "Bounce", notification)
bounce = notification["bounce"]
check("permanent general bounce", (bounce["bounceType"], bounce["bounceSubType"]) == ("Permanent", "General"), bounce)
check("bounced recipient", bounce["bouncedRecipients"][0]["emailAddress"] == "bounce@simulator.amazonses.com", bounce)
check("names the sent message", notification["mail"]["messageId"] == bounced["MessageId"], notification["mail"])

ses.put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
listed = ses.get_suppressed_destination(EmailAddress="gone@example.com")
check("suppressed", listed["SuppressedDestination"]["Reason"] == "BOUNCE", listed)
suppressed = ses.send_email(
    FromEmailAddress="shop@example.com",
    Destination={"ToAddresses": ["gone@example.com"]},
    Content={"Simple": {"Subject": {"Data": "Never"}, "Body": {"Text": {"Data": "x"}}}},
)
check("a suppressed send is accepted", bool(suppressed["MessageId"]))
_, sns = received.get(timeout=20)
notification = json.loads(sns["Message"])
check("and bounced OnAccountSuppressionList", notification["bounce"]["bounceSubType"] == "OnAccountSuppressionList", notification)
found = get("/api/v1/search?query=" + urllib.parse.quote("to:gone@example.com"))
check("and never delivered", found["messages_count"] == 0, found)

try:
    ses.get_suppressed_destination(EmailAddress="nobody@example.com")
    check("unknown suppressed address", False, "found")
except ClientError as error:
    check("NotFoundException parsed by botocore", error.response["Error"]["Code"] == "NotFoundException", error.response)
try:
    ses.send_email(
        FromEmailAddress="shop@example.com",
        Destination={"ToAddresses": ["not-an-address"]},
        Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
    )
    check("bad address refused", False, "accepted")
except ClientError as error:
    check("BadRequestException parsed by botocore", error.response["Error"]["Code"] == "BadRequestException" and "@domain" in error.response["Error"]["Message"], error.response)
server.shutdown()
