using System.Text.Json.Nodes;
using NJsonSchema;

namespace Raccoon.Research.Tests.Support;

/// <summary>
/// nbformat's validation in process: the notebook against nbformat's own JSON schema for v4.5
/// (Notebooks/nbformat.v4.5.schema.json, copied unchanged from nbformat 5.5.0 as Debian 12's python3-nbformat ships
/// it, BSD-3-Clause), checked by NJsonSchema, plus the one rule nbformat checks outside the schema: cell ids are
/// unique. No Python is needed.
/// </summary>
public static class NbFormat
{
    static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(Flatten(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Notebooks", "nbformat.v4.5.schema.json")))).GetAwaiter().GetResult());

    /// <summary>The schema with its grouped definitions ("#/definitions/misc/source") lifted one level
    /// ("#/definitions/misc.source"): NJsonSchema reads every entry of "definitions" as a schema, so it cannot reach
    /// into the "misc" group. Nothing else changes.</summary>
    static string Flatten(string schema)
    {
        var root = JsonNode.Parse(schema)!.AsObject();
        var definitions = root["definitions"]!.AsObject();
        if (definitions["misc"] is JsonObject misc)
        {
            definitions.Remove("misc");
            foreach (var (name, node) in misc.ToList())
            {
                misc.Remove(name);
                definitions["misc." + name] = node;
            }
        }
        return root.ToJsonString().Replace("#/definitions/misc/", "#/definitions/misc.", StringComparison.Ordinal);
    }

    /// <summary>Null when <paramref name="path"/> is a valid nbformat 4.5 notebook; what is wrong otherwise.</summary>
    public static string? Validate(string path)
    {
        string text = File.ReadAllText(path);
        JsonNode? root;
        try { root = JsonNode.Parse(text); }
        catch (System.Text.Json.JsonException e) { return $"{path} is not JSON: {e.Message}"; }
        if (root?["nbformat"]?.GetValue<int>() != 4 || root["nbformat_minor"]?.GetValue<int>() != 5)
            return $"{path} is nbformat {root?["nbformat"]}.{root?["nbformat_minor"]}; the notebooks are written as 4.5";
        var errors = Schema.Value.Validate(text);
        if (errors.Count > 0) return $"{path}: " + string.Join("; ", errors.Take(5).Select(e => $"{e.Path}: {e.Kind}"));
        var ids = (root["cells"] as JsonArray ?? []).Select(c => c?["id"]?.GetValue<string>()).ToList();
        var duplicate = ids.GroupBy(i => i).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? null : $"{path}: cell id '{duplicate.Key}' is not unique";
    }
}
