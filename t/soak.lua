-- wrk script for t/soak: a mix of requests to one small file, and a count of
-- the answers by status. Run as: wrk ... -s t/soak.lua URL -- COOKIE_FILE
-- where COOKIE_FILE holds the Cookie header of a signed-in browser.
--   40%  the file with the valid cookies        (?soak=valid)
--   20%  the file with corrupted cookies         (?soak=corrupt)
--   20%  the file without cookies                (?soak=anon)
--   20%  the sync endpoint with the valid cookies
-- Half of the requests ask for HTML (as a browser navigating), half do not.
-- The query names the kind, so the access log shows each kind's statuses.

local threads = {}

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

-- Variants of a valid Cookie header that must not sign anyone in.
local function corrupted(cookie)
    local v = {}
    -- one character in the middle of the first value changed
    local eq = cookie:find("=", 1, true)
    local semi = cookie:find(";", eq, true) or #cookie + 1
    local pos = eq + math.floor((semi - eq) / 2)
    local c = cookie:sub(pos, pos)
    v[#v + 1] = cookie:sub(1, pos - 1) .. (c == "A" and "B" or "A") .. cookie:sub(pos + 1)
    -- every value cut in half
    v[#v + 1] = (cookie:gsub("=([^;]*)", function(x)
        return "=" .. x:sub(1, math.floor(#x / 2)) end))
    -- every value replaced by as many letters
    v[#v + 1] = (cookie:gsub("=([^;]*)", function(x) return "=" .. string.rep("A", #x) end))
    -- the first cookie missing
    v[#v + 1] = (cookie:gsub("^[^;]*;%s*", ""))
    -- values moved to other cookies (a mixed-up set)
    local vals = {}
    for x in cookie:gmatch("=([^;]*)") do vals[#vals + 1] = x end
    local i = 0
    v[#v + 1] = (cookie:gsub("=([^;]*)", function()
        i = i + 1
        return "=" .. vals[i % #vals + 1] end))
    -- empty values, and a stray chunk cookie
    v[#v + 1] = (cookie:gsub("=([^;]*)", "="))
    v[#v + 1] = cookie .. "; __Host-reflex_generic_access_token_1=AAAA"
    return v
end

function init(args)
    local f = assert(io.open(args[1], "r"))
    valid = f:read("*l")
    f:close()
    bad = corrupted(valid)
    statuses = {}
    math.randomseed(os.time() * 100 + id)
end

function request()
    local r = math.random(100)
    local path = "/private/small.txt?soak="
    local headers = {}
    if r <= 40 then
        path = path .. "valid"
        headers["Cookie"] = valid
    elseif r <= 60 then
        path = path .. "corrupt"
        headers["Cookie"] = bad[math.random(#bad)]
    elseif r <= 80 then
        path = path .. "anon"
    else
        path = "/_reflex/cookies/sync"
        headers["Cookie"] = valid
    end
    if math.random(2) == 1 then
        headers["Accept"] = "text/html,application/xhtml+xml"
    end
    return wrk.format("GET", path, headers)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    for _, t in ipairs(threads) do
        for s, n in pairs(t:get("statuses") or {}) do
            total[s] = (total[s] or 0) + n
        end
    end
    local parts = {}
    for s, n in pairs(total) do
        parts[#parts + 1] = string.format('"%d": %d', s, n)
    end
    local e = summary.errors
    io.write(string.format(
        'SOAK {"requests": %d, "duration_us": %d, "statuses": {%s}, ' ..
        '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
        summary.requests, summary.duration, table.concat(parts, ", "),
        e.connect, e.read, e.write, e.status, e.timeout))
end
