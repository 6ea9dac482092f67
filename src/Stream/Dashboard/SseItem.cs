namespace Streamer.Stream.Dashboard;

/// <summary>One server-sent event: its name (<c>snapshot</c>, <c>exit</c>, <c>alert</c>, <c>status</c>, …) and its JSON, the payload's own bytes.</summary>
internal readonly record struct SseItem(string Event, byte[] Data);
