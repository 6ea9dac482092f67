using Microsoft.Extensions.DependencyInjection;

namespace Streamer.Stream.Dashboard;

/// <summary>How the host adds the dashboard (<c>LiveServiceHost</c>): only when <c>Dashboard:Enabled</c>.</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>Registers the dashboard; call before the live pipeline's hosted service so it listens before the first snapshot and stops after the pipeline.</summary>
    public static IServiceCollection AddStreamerDashboard(this IServiceCollection services, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled) return services;
        services.AddSingleton(options);
        services.AddSingleton<DashboardHub>();
        services.AddSingleton<HealthSampler>();
        services.AddSingleton<DashboardService>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardService>());
        return services;
    }
}
