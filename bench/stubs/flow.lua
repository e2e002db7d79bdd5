-- wrk script: the PaymentIntent create + confirm flow. Each thread creates an intent with
-- pm_card_visa (requires_confirmation), then confirms the ids its creations returned, as
-- answers come back. (localstripe takes no payment_method at confirm, so it goes at create.)
local create = "amount=2000&currency=usd&payment_method=pm_card_visa"
local pending = {}

request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format("POST", "/v1/payment_intents/" .. id .. "/confirm", nil, "")
  end
  return wrk.format("POST", "/v1/payment_intents", nil, create)
end

response = function(status, headers, body)
  if status ~= 200 then
    errors = (errors or 0) + 1
    return
  end
  local id = body:match('"id":%s*"(pi_[%w]+)"')
  local confirmed = body:match('"status":%s*"succeeded"')
  if id and not confirmed then
    table.insert(pending, id)
  end
end
