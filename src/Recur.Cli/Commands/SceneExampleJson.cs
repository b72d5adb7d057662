using System.Text.Json;
using Recur.Data.Scenes;

namespace Recur.Cli.Commands;

/// <summary>
/// What an example of a scene task (VQA, dialog) says of its scene, as <c>captions.jsonl</c> does: the objects (scene
/// cell, class) and the two grids a picture needs, the scene's cells per side and the feature grid the model attends over.
/// </summary>
internal static class SceneExampleJson
{
    /// <summary>Writes <c>objects</c>, <c>scene_side</c>, <c>grid_rows</c> and <c>grid_cols</c>.</summary>
    public static void Write(Utf8JsonWriter w, Scene scene, int gridRows, int gridCols)
    {
        w.WriteStartArray("objects");
        foreach (var item in scene.Items)
        {
            w.WriteStartObject();
            w.WriteNumber("cell", item.Cell);
            w.WriteString("class", CaptionGrammar.Singular[item.Class]);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("scene_side", scene.GridSide);
        w.WriteNumber("grid_rows", gridRows);
        w.WriteNumber("grid_cols", gridCols);
    }
}
