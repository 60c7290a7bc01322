-- The bus's one write path (livedata/bus.py): a batch of quotes, atomically.
-- KEYS: the snapshot hash, the quote stream, the seq hash, the timestamp hash.
-- ARGV: stream MAXLEN, the quote channel prefix, then per quote: symbol, epoch ms of its
--       timestamp, its JSON without the closing brace.
-- Returns seq and stream id per quote; 0 and '' for a quote refused as older.
--
-- Why the bookkeeping is read once per batch (HMGET) and written once (HSET): a quote then
-- costs Redis only its stream append and its PUBLISH, the two things every quote needs.
-- Why `seq` and `stream_id` are appended here as text: Python encodes each quote once and
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

local written, out, clock = {}, {}, nil
for i = 3, #ARGV, 3 do
  local symbol, ts = ARGV[i], tonumber(ARGV[i + 1])
  local k = slot[symbol]
  if stamp[k] and ts < stamp[k] then
    out[#out + 1] = 0
    out[#out + 1] = ''
  else
    if seq[k] then
      seq[k] = seq[k] + 1
    else
      clock = clock or redis.call('TIME')
      seq[k] = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
    end
    stamp[k] = ts
    local quote = ARGV[i + 2] .. ',"seq":' .. string.format('%d', seq[k])
    local id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'symbol', symbol,
                          'quote', quote .. '}')
    quote = quote .. ',"stream_id":"' .. id .. '"}'
    redis.call('PUBLISH', prefix .. symbol, quote)
    written[k] = quote
    out[#out + 1] = seq[k]
    out[#out + 1] = id
  end
end

local n, quotes, seq_text, stamp_text = 0, {}, {}, {}
for k, symbol in ipairs(names) do
  if written[k] then
    quotes[n + 1], seq_text[n + 1], stamp_text[n + 1] = symbol, symbol, symbol
    quotes[n + 2] = written[k]
    seq_text[n + 2] = string.format('%d', seq[k])
    stamp_text[n + 2] = string.format('%d', stamp[k])
    n = n + 2
  end
end
if n > 0 then
  redis.call('HSET', latest, unpack(quotes))
  redis.call('HSET', seqs, unpack(seq_text))
  redis.call('HSET', stamps, unpack(stamp_text))
end
return out
