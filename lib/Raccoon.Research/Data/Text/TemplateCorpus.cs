namespace Raccoon.Research.Data.Text;

/// <summary>
/// A small English corpus this project writes itself: sentences drawn from its own templates about a
/// made-up meadow world (each animal has one home, one food and one skill, so the facts are
/// learnable), in the two styles RustGPT trains on: plain statements and "User: ... Assistant: ..."
/// exchanges, every example ending with "&lt;/s&gt;". Deterministic for a seed.
/// </summary>
public static class TemplateCorpus
{
    sealed record Animal(string Name, string Home, string Food, string Skill, string Colour);

    static readonly Animal[] Animals =
    [
        new("fox", "forest", "berries", "run fast", "red"),
        new("owl", "old oak", "mice", "see at night", "brown"),
        new("rabbit", "meadow", "clover", "dig tunnels", "grey"),
        new("bear", "mountain", "honey", "climb trees", "black"),
        new("otter", "river", "fish", "swim on its back", "brown"),
        new("heron", "marsh", "frogs", "stand on one leg", "white"),
        new("beaver", "lake", "bark", "build dams", "brown"),
        new("wolf", "valley", "deer", "howl at the moon", "grey"),
        new("deer", "glade", "leaves", "leap over fences", "tan"),
        new("frog", "pond", "flies", "jump far", "green"),
        new("mole", "garden", "worms", "dig in the dark", "black"),
        new("goose", "field", "grass", "fly south", "white"),
    ];

    static readonly string[] People = ["Mira", "Tomas", "Ada", "Jonah", "Lena", "Felix", "Rosa", "Omar"];
    static readonly string[] Weather = ["sunny", "windy", "cold", "warm", "rainy", "quiet"];
    static readonly string[] Times = ["In the morning", "At noon", "In the evening", "At night", "In spring", "In winter"];
    static readonly string[] Tools = ["basket", "lantern", "map", "notebook", "rope", "kettle"];
    static readonly string[] Feelings = ["happy", "tired", "curious", "calm", "hungry"];

    /// <summary><paramref name="count"/> distinct examples, each one line ending with " &lt;/s&gt;".</summary>
    public static IReadOnlyList<string> Generate(int count, int seed = 0)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "a corpus needs at least one example");
        var rng = new Random(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<string>(count);
        for (int attempts = 0; lines.Count < count; attempts++)
        {
            if (attempts > count * 200) throw new InvalidOperationException($"the templates give fewer than {count} distinct examples");
            string line = Sentence(rng) + " " + Vocabulary.EndOfSequence;
            if (seen.Add(line)) lines.Add(line);
        }
        return lines;
    }

    static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    static string Sentence(Random rng)
    {
        var a = Pick(rng, Animals);
        var b = Pick(rng, Animals);
        string person = Pick(rng, People);
        return rng.Next(12) switch
        {
            0 => $"The {a.Name} lives in the {a.Home}.",
            1 => $"The {a.Name} eats {a.Food}.",
            2 => $"The {a.Name} can {a.Skill}, and it lives in the {a.Home}.",
            3 => $"{Pick(rng, Times)}, the {a.Colour} {a.Name} looks for {a.Food} in the {a.Home}.",
            4 => $"{person} walked to the {a.Home} to watch the {a.Name}.",
            5 => $"{person} took a {Pick(rng, Tools)} because the day was {Pick(rng, Weather)}.",
            6 => $"When it is {Pick(rng, Weather)}, the {a.Name} stays in the {a.Home} and the {b.Name} stays in the {b.Home}.",
            7 => $"User: Where does the {a.Name} live? Assistant: The {a.Name} lives in the {a.Home}.",
            8 => $"User: What does the {a.Name} eat? Assistant: The {a.Name} eats {a.Food}.",
            9 => $"User: What can the {a.Name} do? Assistant: The {a.Name} can {a.Skill}.",
            10 => $"User: How does {person} feel? Assistant: {person} feels {Pick(rng, Feelings)} after a {Pick(rng, Weather)} day in the {a.Home}.",
            _ => a == b ? $"Every {a.Name} likes {a.Food}." : $"The {a.Name} and the {b.Name} never share {a.Food}.",
        };
    }
}
