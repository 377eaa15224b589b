using System.Text.Json;
using System.Text.Json.Serialization;

namespace EgressTls.Webhook.Configuration;

/// <summary>Binds Go-style duration strings (<see cref="GoDuration"/>) to <see cref="TimeSpan"/>.</summary>
internal sealed class GoDurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"expected a duration string such as \"15s\", found {reader.TokenType}");
        }

        return GoDuration.TryParse(reader.GetString(), out var value, out var error) ? value : throw new JsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(GoDuration.Format(value));
}
