using System.Globalization;

namespace Streamer.Stream.Contracts;

/// <summary>
/// An options record bound from one configuration section (its properties are the section's keys).
/// <see cref="Validate"/> checks what a value alone can get wrong and throws
/// <see cref="SettingsException"/> naming the key; checks across sections (a book that must exist,
/// a setting that needs a tape) stay with the code that combines them.
/// </summary>
public interface ISettingsSection
{
    void Validate();

    /// <summary>The range error every numeric setting uses: "Pipeline:Shards: 0 is outside 1..256".</summary>
    static void InRange(string key, double value, double min, double max)
    {
        if (value < min || value > max)
            throw new SettingsException(string.Create(CultureInfo.InvariantCulture, $"{key}: {value} is outside {min}..{max}"));
    }
}
