using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>
/// Binds one configuration section to its options record: each key is a property of the same name
/// (case-insensitive, as configuration keys are), an empty value keeps the record's default, a key
/// the record does not have is an error naming it ("unknown setting Nats:Ulr"), and every value goes
/// through the one parser here, so "1e3", "fast" and "maybe" mean the same thing in every section.
/// </summary>
/// <remarks>
/// Not <c>ConfigurationBinder</c>: since .NET 8 its conversion error leaves the value out, and
/// <c>streamer run</c> promises a one-line error naming key and value (exit 2). Binding is eager, when
/// the host is built, so a bad setting stops the process before the journal or NATS is touched; the
/// bound records are then registered as <c>IOptions&lt;T&gt;</c> (see <see cref="StreamerService"/>).
/// </remarks>
public static class SettingsBinder
{
    /// <summary>The options record of <paramref name="section"/>, parsed and checked by its <see cref="ISettingsSection.Validate"/>.</summary>
    public static T Bind<T>(IConfiguration configuration, string section) where T : class, ISettingsSection, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray();
        var options = new T();
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            var key = $"{section}:{child.Key}";
            var property = Array.Find(properties, p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase))
                ?? throw new SettingsException($"unknown setting {key} (known in {section}: {string.Join(", ", properties.Select(p => p.Name))})");
            // every key here is a value: "Feed:Speed:Max" is a typo to name, not a sub-section to ignore
            if (child.GetChildren().Any())
                throw new SettingsException($"unknown setting {child.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => kv.Key).Order(StringComparer.Ordinal).First()} ({key} is a value, not a section)");
            if (string.IsNullOrWhiteSpace(child.Value)) continue; // "" = the default (appsettings.sample.json lists every key so)
            property.SetValue(options, Parse(key, child.Value, property.PropertyType));
        }
        options.Validate();
        return options;
    }

    /// <summary>The one parser of setting values: invariant culture, finite numbers, true/false, seconds or hh:mm:ss.</summary>
    public static object Parse(string key, string value, Type type)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(type);
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string)) return value.Trim();
        if (t == typeof(bool))
            return bool.TryParse(value.Trim(), out var b) ? b : throw new SettingsException($"{key}: '{value}' is not true or false");
        if (t == typeof(TimeSpan))
        {
            // a number is seconds (as every duration key has been); "00:00:30" also reads as a duration
            if (TryNumber(value, out var seconds)) return TimeSpan.FromSeconds(seconds);
            return TimeSpan.TryParse(value.Trim(), CultureInfo.InvariantCulture, out var span)
                ? span
                : throw new SettingsException($"{key}: '{value}' is not a number of seconds or a hh:mm:ss duration");
        }
        if (!TryNumber(value, out var d)) throw new SettingsException($"{key}: '{value}' is not a number");
        if (t == typeof(double)) return d;
        if (t == typeof(int))
            return d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue
                ? (int)d
                : throw new SettingsException($"{key}: '{value}' is not a whole number");
        if (t == typeof(long))
            return d == Math.Floor(d) && Math.Abs(d) <= 9e15 // exact in a double
                ? (long)d
                : throw new SettingsException($"{key}: '{value}' is not a whole number");
        throw new NotSupportedException($"{key}: no parser for {t.Name}");
    }

    private static bool TryNumber(string value, out double d) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d);
}
