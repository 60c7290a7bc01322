-- The bus's one write path (livedata/bus.py): a batch of quotes, atomically.
-- KEYS: the snapshot hash, the quote stream, the seq hash, the timestamp hash.
-- ARGV: stream MAXLEN, the quote channel prefix, then per quote: symbol, epoch ms of its
--       timestamp, its JSON without the closing brace.
-- Returns seq and stream id per quote; 0 and '' for a quote refused as older.
--
-- Why the bookkeeping is read once per batch (HMGET) and written once (HSET), and the
-- stream trimmed once: a quote then costs Redis only its stream append and its PUBLISH.
-- Why the script makes the stream ids itself (as XADD * would: the clock's milliseconds, or
-- the last id's with its sequence + 1 when the clock has not passed it): the quote's text
-- then holds its own stream_id, and one string serves the stream, the snapshot and the
-- channel. Strings are what costs most in here.
-- Why `seq` and `stream_id` are appended as text: Python encodes each quote once and
-- nothing decodes it again, so numbers keep their text.
-- Why a fresh symbol's seq starts at the server's clock in microseconds: an embedded Redis
-- restarts empty, and seq must still never go backwards for a subscriber that saw the old
-- values; within one Redis lifetime seq then grows by exactly one per quote.
local latest, stream, seqs, stamps = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local maxlen, prefix = ARGV[1], ARGV[2]

local slot, names = {}, {}
for i = 3, #ARGV, 3 do
  local symbol = ARGV[i]
  if not slot[symbol] then
    names[#names + 1] = symbol
    slot[symbol] = #names
  end
end
local seq = redis.call('HMGET', seqs, unpack(names))
local stamp = redis.call('HMGET', stamps, unpack(names))
for k = 1, #names do
  seq[k], stamp[k] = tonumber(seq[k]), tonumber(stamp[k])
end

local clock = redis.call('TIME')
local id_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local id_n = 0
local info = redis.pcall('XINFO', 'STREAM', stream)
if not info.err then
  for j = 1, #info, 2 do
    if info[j] == 'last-generated-id' then
      local last_ms, last_n = string.match(info[j + 1], '^(%d+)-(%d+)$')
      last_ms, last_n = tonumber(last_ms), tonumber(last_n)
      if last_ms >= id_ms then
        id_ms, id_n = last_ms, last_n + 1
      end
    end
  end
end
local id_prefix = string.format('%d-', id_ms)
local first_seq = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local written, out, n = {}, {}, 0
for i = 3, #ARGV, 3 do
  local symbol, ts = ARGV[i], tonumber(ARGV[i + 1])
  local k = slot[symbol]
  if stamp[k] and ts < stamp[k] then
    out[n + 1], out[n + 2] = 0, ''
  else
    local s = (seq[k] or first_seq - 1) + 1
    seq[k], stamp[k] = s, ts
    local id = id_prefix .. id_n
    id_n = id_n + 1
    local quote = ARGV[i + 2] .. ',"seq":' .. string.format('%d', s)
                  .. ',"stream_id":"' .. id .. '"}'
    redis.call('XADD', stream, id, 'symbol', symbol, 'quote', quote)
    redis.call('PUBLISH', prefix .. symbol, quote)
    written[k] = quote
    out[n + 1], out[n + 2] = s, id
  end
  n = n + 2
end
redis.call('XTRIM', stream, 'MAXLEN', '~', maxlen)

local m, quotes, seq_text, stamp_text = 0, {}, {}, {}
for k, symbol in ipairs(names) do
  if written[k] then
    quotes[m + 1], seq_text[m + 1], stamp_text[m + 1] = symbol, symbol, symbol
    quotes[m + 2] = written[k]
    seq_text[m + 2] = string.format('%d', seq[k])
    stamp_text[m + 2] = string.format('%d', stamp[k])
    m = m + 2
  end
end
if m > 0 then
  redis.call('HSET', latest, unpack(quotes))
  redis.call('HSET', seqs, unpack(seq_text))
  redis.call('HSET', stamps, unpack(stamp_text))
end
return out
