using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Service;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// The dashboard's HTTP surface (docs/dashboard.md): the page (<c>/</c>, <c>/app.js</c>, <c>/app.css</c>),
/// the live event stream (<c>/api/events</c>, server-sent events), the actions (<c>POST /api/control/&lt;verb&gt;</c>,
/// through <see cref="IControlApi"/>: the handlers of <c>streamer.control.*</c>), the journal's action log
/// (<c>/api/actions</c>) and the token login (<c>/login</c>).
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>What a page may ask for: the verbs that change one position (list/add/status stay on NATS).</summary>
    private static readonly string[] PageVerbs = ["pause", "resume", "remove", "close"];

    /// <summary>Sent with every action: a cross-site form cannot set it (the cookie alone is not enough to act).</summary>
    public const string ActionHeader = "X-Streamer-Dashboard";

    public const int MaxActionBytes = 64 * 1024;

    public static void Map(WebApplication app, DashboardAuth auth, DashboardHub hub, IControlApi control, JournalDatabase journal)
    {
        // headers every answer carries: nothing but this origin may be loaded or frame the page (the action buttons)
        app.Use(async (context, next) =>
        {
            var h = context.Response.Headers;
            h["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'";
            h["X-Content-Type-Options"] = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            h["Cache-Control"] = "no-store";
            await next(context).ConfigureAwait(false);
        });
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (request.Path == "/login" || auth.Allows(request))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            // a link with ?token=… (what the log of a token-protected start suggests): becomes the cookie, the URL loses it
            if (HttpMethods.IsGet(request.Method) && request.Query.TryGetValue("token", out var token) && auth.Matches(token.ToString()))
            {
                auth.SetCookie(context.Response);
                context.Response.Redirect(request.PathBase + request.Path);
                return;
            }
            await Unauthorized(context).ConfigureAwait(false);
        });

        app.MapGet("/", () => Results.Bytes(DashboardAssets.Index, "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Results.Bytes(DashboardAssets.Script, "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", () => Results.Bytes(DashboardAssets.Style, "text/css; charset=utf-8"));
        app.MapGet("/login", () => Results.Bytes(DashboardAssets.Login, "text/html; charset=utf-8"));
        app.MapPost("/login", async context =>
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
            if (!auth.Required || (form is not null && auth.Matches(form["token"].ToString())))
            {
                if (auth.Required) auth.SetCookie(context.Response);
                context.Response.Redirect("/");
                return;
            }
            await Unauthorized(context).ConfigureAwait(false);
        });

        app.MapGet("/api/events", context => StreamEvents(context, hub, auth));
        app.MapPost("/api/control/{verb}", (HttpContext context, string verb) => Act(context, verb, control, auth));
        app.MapGet("/api/actions", () => Results.Bytes(ActionsJson(journal), "application/json"));

        // /metrics is mapped after these by DashboardService (the service host's meter provider), behind the same
        // token check as everything above: a scraper sends the token as a bearer header
    }

    private static Task Unauthorized(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"streamer dashboard\"";
        bool page = context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal);
        if (page)
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.Body.WriteAsync(DashboardAssets.Login).AsTask();
        }
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(Streamer.Stream.Service.ServiceJson.Write(w =>
        {
            w.WriteBoolean("ok"u8, false);
            w.WriteString("error"u8, "401: this dashboard needs its token (Dashboard:Token): an Authorization: Bearer header, or sign in at /login");
        })).AsTask();
    }

    private static async Task StreamEvents(HttpContext context, DashboardHub hub, DashboardAuth auth)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var stopping = context.RequestServices.GetService(typeof(IHostApplicationLifetime)) is IHostApplicationLifetime life ? life.ApplicationStopping : CancellationToken.None;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var hello = Streamer.Stream.Service.ServiceJson.Write(w =>
        {
            w.WriteBoolean("token_required"u8, auth.Required);
            w.WriteStartArray("verbs"u8);
            foreach (var v in PageVerbs) w.WriteStringValue(v);
            w.WriteEndArray();
        });
        using var client = hub.Connect(new SseItem("hello", hello));
        var body = response.Body;
        try
        {
            // a reconnecting EventSource waits this long (ms) before it tries again
            await body.WriteAsync("retry: 1000\n\n"u8.ToArray(), cancel.Token).ConfigureAwait(false);
            while (await client.Reader.WaitToReadAsync(cancel.Token).ConfigureAwait(false))
            {
                while (client.Reader.TryRead(out var item))
                {
                    await body.WriteAsync(Encoding.ASCII.GetBytes("event: " + item.Event + "\ndata: "), cancel.Token).ConfigureAwait(false);
                    await body.WriteAsync(item.Data, cancel.Token).ConfigureAwait(false); // compact JSON: one line
                    await body.WriteAsync("\n\n"u8.ToArray(), cancel.Token).ConfigureAwait(false);
                }
                await body.FlushAsync(cancel.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the page closed, or the service stops
        }
        catch (IOException)
        {
            // the connection broke
        }
    }

    private static async Task<IResult> Act(HttpContext context, string verb, IControlApi control, DashboardAuth auth)
    {
        if (Array.IndexOf(PageVerbs, verb) < 0) return Results.NotFound();
        if (!context.Request.Headers.ContainsKey(ActionHeader))
            return Results.BadRequest(Error($"an action needs the {ActionHeader} header (the page sends it)"));
        var length = context.Request.ContentLength;
        if (length is > MaxActionBytes) return Results.BadRequest(Error($"over {MaxActionBytes} bytes"));
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length > MaxActionBytes) return Results.BadRequest(Error($"over {MaxActionBytes} bytes"));
        // the control API's handler, on a pool thread (pause waits for the position's shard)
        var reply = await Task.Run(() => control.Invoke(verb, buffer.ToArray(), DashboardAuth.Actor(context, auth.Required))).ConfigureAwait(false);
        return new JsonBytesResult(reply.Payload, reply.Error is null ? StatusCodes.Status200OK : reply.ErrorCode);
    }

    /// <summary>The control API's reply as it is, with its status (400 for a refusal, as the micro error header says).</summary>
    private sealed class JsonBytesResult(byte[] payload, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json";
            return httpContext.Response.Body.WriteAsync(payload).AsTask();
        }
    }

    private static byte[] Error(string message) => Streamer.Stream.Service.ServiceJson.Write(w =>
    {
        w.WriteBoolean("ok"u8, false);
        w.WriteString("error"u8, message);
    });

    private static byte[] ActionsJson(JournalDatabase journal)
    {
        var recent = journal.Actions.Recent(100);
        return Streamer.Stream.Service.ServiceJson.Write(w =>
        {
            w.WriteStartArray("actions"u8);
            foreach (var a in recent)
            {
                w.WriteStartObject();
                w.WriteString("time"u8, NanoTime.FormatRfc3339(a.TimeNs));
                w.WriteString("actor"u8, a.Actor);
                w.WriteString("verb"u8, a.Verb);
                if (a.PositionId is null) w.WriteNull("position_id"u8);
                else w.WriteString("position_id"u8, a.PositionId);
                w.WriteBoolean("ok"u8, a.Ok);
                if (a.Detail is not null) w.WriteString("detail"u8, a.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }
}
