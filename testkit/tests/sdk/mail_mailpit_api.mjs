// The `mailpit-api` npm client (a maintained Mailpit API client) against the mail stub.
// Usage: node mail_mailpit_api.mjs SDK_NODE_DIR API_BASE
// The stub holds two messages: "Welcome" to ana@example.com (text + HTML + invoice.pdf) and
// "Receipt" to bob@example.com, sent in that order.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(`${process.argv[2]}/package.json`);
const { MailpitClient } = require("mailpit-api");
const mailpit = new MailpitClient(process.argv[3]);

const list = await mailpit.listMessages();
assert.equal(list.total, 2);
assert.equal(list.messages_count, 2);
assert.deepEqual(list.messages.map((m) => m.Subject), ["Receipt", "Welcome"]);
console.log("ok listMessages");

const welcome = await mailpit.waitForMessage({ query: "to:ana@example.com subject:Welcome" }, { timeout: 2000 });
assert.equal(welcome.Subject, "Welcome");
assert.deepEqual(welcome.From, { Name: "Shop", Address: "shop@example.com" });
assert.equal(welcome.Text.trim(), "Hello Ana");
assert.match(welcome.HTML, /<b>Ana<\/b>/);
assert.equal(welcome.Attachments.length, 1);
assert.equal(welcome.Attachments[0].FileName, "invoice.pdf");
console.log("ok waitForMessage / getMessageSummary");

const headers = await mailpit.getMessageHeaders(welcome.ID);
assert.deepEqual(headers["X-Message-Key"], ["welcome-ana"]);
console.log("ok getMessageHeaders");

const source = await mailpit.getMessageSource(welcome.ID);
assert.match(source, /Subject: Welcome\r\n/);
console.log("ok getMessageSource");

const blob = await mailpit.getMessageAttachment(welcome.ID, welcome.Attachments[0].PartID);
assert.equal(blob.type, "application/pdf");
assert.equal(Buffer.from(await blob.arrayBuffer()).toString(), "%PDF-1.4");
console.log("ok getMessageAttachment");

const found = await mailpit.searchMessages({ query: "from:shop -subject:welcome" });
assert.deepEqual(found.messages.map((m) => m.Subject), ["Receipt"]);
console.log("ok searchMessages");

assert.equal(await mailpit.setReadStatus({ Read: true }), "ok");
assert.equal((await mailpit.listMessages()).unread, 0);
console.log("ok setReadStatus");

assert.equal(await mailpit.deleteMessagesBySearch({ query: "subject:Receipt" }), "ok");
assert.equal(await mailpit.deleteMessages({ IDs: [welcome.ID] }), "ok");
const waited = await mailpit.waitForMessages({ count: 0 }, { timeout: 2000 });
assert.equal(waited.total, 0);
console.log("ok deleteMessagesBySearch / deleteMessages / waitForMessages");

await assert.rejects(mailpit.getMessageSummary("missing"), /404/);
console.log("ok a missing message is a 404");
