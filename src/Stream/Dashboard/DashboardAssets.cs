namespace Streamer.Stream.Dashboard;

/// <summary>The page, its script and its style: embedded resources (<c>wwwroot/</c>), read once. Nothing is fetched from anywhere else.</summary>
internal static class DashboardAssets
{
    public static readonly byte[] Index = Load("index.html");
    public static readonly byte[] Script = Load("app.js");
    public static readonly byte[] Style = Load("app.css");
    public static readonly byte[] Login = Load("login.html");

    private static byte[] Load(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("dashboard/" + name)
            ?? throw new InvalidOperationException($"dashboard asset '{name}' is not embedded (src/Stream/Dashboard/wwwroot)");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
