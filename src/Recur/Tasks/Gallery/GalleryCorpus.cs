using Recur.Analysis.Gallery;
using Recur.Data;

namespace Recur.Tasks.Gallery;

/// <summary>A corpus of the gallery: its name, the kind of text (which features its cells are looked for with) and where it is.</summary>
/// <param name="Name">The name (<c>shakespeare</c>, <c>linux-c</c>, <c>latex</c>, <c>fortunes</c>): its folder in the gallery and its heading.</param>
/// <param name="Kind">The kind of text.</param>
/// <param name="Source">A file path, or <see cref="Corpus.EmbeddedSource"/> for the bundled tiny-shakespeare.</param>
/// <param name="Description">Where the text comes from, one line.</param>
public sealed record GalleryCorpus(string Name, TextKind Kind, string Source, string Description)
{
    /// <summary>Where <c>scripts/gallery-corpora.sh</c> puts the corpora by default (<c>scripts/install-data.sh</c> runs it).</summary>
    public const string DefaultDirectory = "/usr/local/share/recur/gallery";

    /// <summary>
    /// The corpora of the lectures' gallery, in the page's order, and prose for the quote cell (the lectures found theirs in
    /// War and Peace; tiny-shakespeare has no double quotation marks).
    /// </summary>
    public static IReadOnlyList<string> Names { get; } = ["shakespeare", "linux-c", "latex", "fortunes"];

    /// <summary>
    /// The corpus <paramref name="name"/> (one of <see cref="Names"/>), read from <paramref name="path"/> when given, else from its
    /// default place: the bundled text for <c>shakespeare</c>, <paramref name="directory"/>/NAME.txt for the others.
    /// </summary>
    public static GalleryCorpus Named(string name, string? path = null, string directory = DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(name);
        string Where(string file) => path ?? Path.Combine(directory, file);
        return name switch
        {
            "shakespeare" => new(name, TextKind.Play, path ?? Corpus.EmbeddedSource,
                path is null ? "tiny-shakespeare (bundled with Recur): 1.1 MB of Shakespeare's plays" : $"a play laid out as tiny-shakespeare: {path}"),
            "linux-c" => new(name, TextKind.C, Where("linux-c.txt"),
                "Linux C: the kernel/ and mm/ sources of Debian's linux-source-6.1 in a fixed shuffled order, first 3 MB (scripts/gallery-corpora.sh)"
                    + (path is null ? "" : $"; read from {path}")),
            "latex" => new(name, TextKind.Latex, Where("latex.txt"),
                "LaTeX: the .tex manuals of Debian's texlive-science-doc in a fixed shuffled order, first 3 MB (scripts/gallery-corpora.sh)"
                    + (path is null ? "" : $"; read from {path}")),
            "fortunes" => new(name, TextKind.Prose, Where("fortunes.txt"),
                "prose: the fortune cookies of Debian's fortunes packages in a fixed shuffled order, first 3 MB (scripts/gallery-corpora.sh)"
                    + (path is null ? "" : $"; read from {path}")),
            _ => throw new ArgumentException($"unknown gallery corpus '{name}'; the corpora are {string.Join(", ", Names)} (NAME or NAME=FILE)."),
        };
    }

    /// <summary>
    /// The corpora of a <c>--corpora</c> list: comma-separated <c>NAME</c> or <c>NAME=FILE</c> items, each name at most once
    /// (<c>shakespeare,linux-c=my.c.txt</c>); <paramref name="directory"/> holds the corpora named without a file.
    /// </summary>
    public static IReadOnlyList<GalleryCorpus> Parse(string list, string directory = DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(list);
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new ArgumentException($"--corpora names no corpus; give some of {string.Join(", ", Names)}.");
        var corpora = new List<GalleryCorpus>();
        foreach (var item in items)
        {
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? item : item[..eq], path = eq < 0 ? "" : item[(eq + 1)..];
            if (eq >= 0 && path.Length == 0) throw new ArgumentException($"--corpora: '{item}' names no file after '='.");
            if (corpora.Any(c => c.Name == name)) throw new ArgumentException($"--corpora names '{name}' twice.");
            corpora.Add(Named(name, eq < 0 ? null : path, directory));
        }
        return corpora;
    }

    /// <summary>Throws a <see cref="FileNotFoundException"/> that says how to make the corpus when its file is missing.</summary>
    public void CheckAvailable()
    {
        if (Source != Corpus.EmbeddedSource && !File.Exists(Source))
            throw new FileNotFoundException($"the {Name} corpus is not at {Source}; make it with scripts/gallery-corpora.sh "
                + $"(scripts/install-data.sh runs it), or name a file: --corpora {Name}=FILE.", Source);
    }

    /// <summary>The corpus's text (a missing file as <see cref="CheckAvailable"/> says).</summary>
    public Corpus Load()
    {
        CheckAvailable();
        return Corpus.FromSource(Source);
    }
}
