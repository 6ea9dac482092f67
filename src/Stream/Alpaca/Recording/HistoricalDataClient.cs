using System.Globalization;
using System.Net;
using System.Text.Json;
using Polly;
using Polly.Retry;
using Streamer.Feed.Alpaca;

namespace Streamer.Stream.Alpaca.Recording;

/// <summary>
/// Alpaca's market-data REST API (<c>https://data.alpaca.markets</c>, or the emulator's), one GET at a
/// time, through a Polly retry pipeline: a 429 waits what the server asks (<c>Retry-After</c>, else
/// until <c>X-RateLimit-Reset</c>, else an exponential backoff) and is retried without limit of count,
/// since a rate limit always lifts; a 5xx or a dropped connection is retried 6 times with backoff. Any
/// other refusal is an <see cref="AlpacaHistoryException"/> carrying Alpaca's message.
/// </summary>
public sealed class HistoricalDataClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly TimeProvider _time;
    private long _rateLimited;
    private long _requests;

    public HistoricalDataClient(Uri dataUrl, AlpacaCredentials credentials, HttpClient? http = null, TimeProvider? time = null, TimeSpan? maxBackoff = null)
    {
        ArgumentNullException.ThrowIfNull(dataUrl);
        ArgumentNullException.ThrowIfNull(credentials);
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        _time = time ?? TimeProvider.System;
        BaseUrl = dataUrl.GetLeftPart(UriPartial.Authority) + "/";
        _keyId = credentials.KeyId;
        _secret = credentials.SecretKey;
        var cap = maxBackoff ?? TimeSpan.FromSeconds(60);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // rate limits: as often as it takes, each wait the one the server names
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = cap,
                UseJitter = true,
                DelayGenerator = args => ValueTask.FromResult(ServerDelay(args.Outcome.Result, cap)),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _rateLimited);
                    RateLimitWait?.Invoke(args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is HttpRequestException or TaskCanceledException { InnerException: TimeoutException }
                    || (int?)args.Outcome.Result?.StatusCode >= 500),
                MaxRetryAttempts = 6,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(0.5),
                MaxDelay = cap,
                UseJitter = true,
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .Build();
    }

    private readonly string _keyId;
    private readonly string _secret;

    /// <summary><c>scheme://host[:port]/</c></summary>
    public string BaseUrl { get; }

    /// <summary>Raised before each wait a 429 imposes (the progress display says so, a user never sees a silent stall).</summary>
    public event Action<TimeSpan>? RateLimitWait;

    /// <summary>429 answers waited out so far.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Requests sent, retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>GET <paramref name="pathAndQuery"/> (relative to the data URL); the JSON body of the 200.</summary>
    public async Task<JsonDocument> GetAsync(string pathAndQuery, CancellationToken ct)
    {
        using var response = await _pipeline.ExecuteAsync(async token =>
        {
            Interlocked.Increment(ref _requests);
            using var request = new HttpRequestMessage(HttpMethod.Get, BaseUrl + pathAndQuery);
            request.Headers.Add("APCA-API-KEY-ID", _keyId);
            request.Headers.Add("APCA-API-SECRET-KEY", _secret);
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode) return JsonDocument.Parse(body);
        throw new AlpacaHistoryException((int)response.StatusCode, pathAndQuery.Split('?')[0], MessageOf(body));
    }

    /// <summary>What the server asks for: Retry-After (seconds or a date), else until X-RateLimit-Reset (Unix seconds); null lets Polly back off.</summary>
    private TimeSpan? ServerDelay(HttpResponseMessage? response, TimeSpan cap)
    {
        if (response is null) return null;
        var now = _time.GetUtcNow();
        TimeSpan? wait = null;
        if (response.Headers.RetryAfter is { } ra)
        {
            wait = ra.Delta ?? (ra.Date is { } d ? d - now : null);
        }
        else if (response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out long reset))
        {
            wait = DateTimeOffset.FromUnixTimeSeconds(reset) - now;
        }
        if (wait is not { } w) return null;
        if (w < TimeSpan.FromMilliseconds(50)) w = TimeSpan.FromMilliseconds(50);
        return w > cap ? cap : w;
    }

    private static string MessageOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m)) return m.GetString() ?? "";
        }
        catch (JsonException)
        {
            // not JSON: the text itself, shortened
        }
        var text = System.Text.Encoding.UTF8.GetString(body);
        return text.Length > 200 ? text[..200] : text;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}

/// <summary>The market-data API refused a request (not a rate limit, not a server error): status and Alpaca's message.</summary>
public sealed class AlpacaHistoryException(int status, string path, string message)
    : Exception($"Alpaca market data {status} on {path}: {message}")
{
    public int Status => status;
}
