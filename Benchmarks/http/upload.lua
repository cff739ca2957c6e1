-- wrk: POST /api/v1/documents as multipart (metadata + a 4 KiB file whose first bytes are unique per request, so
-- every upload is new content, never deduplicated). Token in $TOKEN, case in $CASE.
local token = os.getenv("TOKEN")
local case = os.getenv("CASE")
local boundary = "wrk-boundary-7f3a9c"
local filler = string.rep("Diarium benchmark content. ", 160):sub(1, 4096 - 32)
local counter = 0
local thread_id = 0
local metadata = '{"case":"' .. case .. '","title":"Inkommande skrivelse","recordType":"letter","direction":"incoming"}'

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function request()
  counter = counter + 1
  local unique = string.format("%08d-%08d-%013d", tid or 0, counter, os.time())
  local file = unique .. filler:sub(1, 4096 - #unique)
  local body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n' .. metadata .. "\r\n"
    .. "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="skrivelse.txt"\r\nContent-Type: text/plain\r\n\r\n' .. file .. "\r\n"
    .. "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/api/v1/documents", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end
