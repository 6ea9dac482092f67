using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Streamer.Stream.Emulator;

/// <summary>
/// Alpaca's request budget (200 a minute on a basic data plan): a fixed window of
/// <see cref="Window"/> that admits <see cref="Limit"/> requests. Every answer carries
/// <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Reset</c> (Unix seconds of
/// the window's end), as Alpaca documents; a refused one also <c>Retry-After</c> (whole seconds), which
/// Alpaca's production servers are not confirmed to send (docs/alpaca.md), so clients should read both.
/// </summary>
public sealed class RateLimit(int limit, TimeSpan window, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private DateTimeOffset _windowEnd = DateTimeOffset.MinValue;
    private int _used;

    public int Limit => limit;

    public TimeSpan Window => window;

    /// <summary>Requests refused so far.</summary>
    public long Refused { get; private set; }

    /// <summary>Takes one request from the budget and sets the headers; false when the window is spent.</summary>
    public bool TryTake(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var now = _time.GetUtcNow();
        bool ok;
        int remaining;
        DateTimeOffset end;
        lock (_gate)
        {
            if (now >= _windowEnd)
            {
                _windowEnd = now + window;
                _used = 0;
            }
            ok = _used < limit;
            if (ok) _used++;
            else Refused++;
            remaining = limit - _used;
            end = _windowEnd;
        }
        var headers = response.Headers;
        headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = ((long)Math.Ceiling(end.ToUnixTimeMilliseconds() / 1000.0)).ToString(CultureInfo.InvariantCulture);
        if (!ok) headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((end - now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ok;
    }
}
