-- The bus's one write path (livedata/bus.py): a batch of quotes, atomically.
-- KEYS: the snapshot hash, the quote stream, the bus's state hash.
-- ARGV: stream MAXLEN, the quote channel prefix, the state hash's stream field, then per
--       quote: symbol, epoch ms of its timestamp, its JSON without the closing brace.
-- Returns seq and stream id per quote; 0 and '' for a quote refused as older.
--
-- What costs here (measured with callgrind): each redis.call, and each string made, since
-- Redis's Lua hashes every byte of every new string. So the state hash holds "seq ms" per
-- symbol and the stream's last id: one HMGET reads it for the whole batch, one HSET writes
-- it back, one HSET writes the snapshot; a quote itself costs one new string, its XADD and
-- its PUBLISH, and the batch's first XADD trims the stream.
-- Why the script makes the stream ids (as XADD * would: the clock's milliseconds, or the
-- last id's with its sequence + 1 when the clock has not passed it): the quote's text then
-- holds its own stream_id, so one string serves the stream, the snapshot and the channel.
-- Should another writer have moved the stream past the remembered id, XINFO tells where.
-- Why `seq` and `stream_id` are appended as text: Python encodes each quote once and
-- nothing decodes it again, so numbers keep their text.
-- Why a fresh symbol's seq starts at the server's clock in microseconds: an embedded Redis
-- restarts empty, and seq must still never go backwards for a subscriber that saw the old
-- values; within one Redis lifetime seq then grows by exactly one per quote.
local latest, stream, state = KEYS[1], KEYS[2], KEYS[3]
local maxlen, prefix, stream_field = ARGV[1], ARGV[2], ARGV[3]

local slot, fields = {}, {stream_field}
for i = 4, #ARGV, 3 do
  local symbol = ARGV[i]
  if not slot[symbol] then
    fields[#fields + 1] = symbol
    slot[symbol] = #fields
  end
end
local stored = redis.call('HMGET', state, unpack(fields))
local seq, stamp = {}, {}
for k = 2, #fields do
  if stored[k] then
    local s, ms = string.match(stored[k], '^(%d+) (-?%d+)$')  -- before 1970: negative
    seq[k], stamp[k] = tonumber(s), tonumber(ms)
  end
end

local clock = redis.call('TIME')
local id_ms, id_n
local function next_ids_after(last)
  local last_ms, last_n = string.match(last or '', '^(%d+)-(%d+)$')
  id_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  id_n = 0
  if last_ms and tonumber(last_ms) >= id_ms then
    id_ms, id_n = tonumber(last_ms), tonumber(last_n) + 1
  end
end
next_ids_after(stored[1])

local function stream_last_id()
  local info = redis.call('XINFO', 'STREAM', stream)
  for j = 1, #info, 2 do
    if info[j] == 'last-generated-id' then return info[j + 1] end
  end
end

-- The batch's first XADD trims the stream (before anything else is written, so a bad
-- MAXLEN fails the batch whole); the stream may then pass MAXLEN by one batch, until the next.
local trimmed = false
local function append(i, symbol, s)
  local id = string.format('%d-%d', id_ms, id_n)
  local quote = ARGV[i + 2] .. ',"seq":' .. string.format('%d', s)
                .. ',"stream_id":"' .. id .. '"}'
  local reply
  if trimmed then
    reply = redis.pcall('XADD', stream, id, 'symbol', symbol, 'quote', quote)
  else
    reply = redis.pcall('XADD', stream, 'MAXLEN', '~', maxlen, id, 'symbol', symbol,
                        'quote', quote)
  end
  if type(reply) == 'table' and reply.err then
    return nil, reply
  end
  trimmed = true
  id_n = id_n + 1
  return id, quote
end

local first_seq = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local written, out, n = {}, {}, 0
for i = 4, #ARGV, 3 do
  local symbol, ts = ARGV[i], tonumber(ARGV[i + 1])
  local k = slot[symbol]
  if stamp[k] and ts < stamp[k] then
    out[n + 1], out[n + 2] = 0, ''
  else
    local s = (seq[k] or first_seq - 1) + 1
    local id, quote = append(i, symbol, s)
    if not id then  -- another writer moved the stream on (or it is not a stream: XINFO says)
      next_ids_after(stream_last_id())
      id, quote = append(i, symbol, s)
      if not id then return quote end  -- the error itself (out of memory, say)
    end
    seq[k], stamp[k], written[k] = s, ts, quote
    redis.call('PUBLISH', prefix .. symbol, quote)
    out[n + 1], out[n + 2] = s, id
  end
  n = n + 2
end

local quotes, states, m = {}, {stream_field, string.format('%d-%d', id_ms, id_n - 1)}, 0
for k = 2, #fields do
  if written[k] then
    quotes[m + 1], quotes[m + 2] = fields[k], written[k]
    states[m + 3], states[m + 4] = fields[k], string.format('%d %d', seq[k], stamp[k])
    m = m + 2
  end
end
if m > 0 then
  redis.call('HSET', latest, unpack(quotes))
  redis.call('HSET', state, unpack(states))
end
return out
