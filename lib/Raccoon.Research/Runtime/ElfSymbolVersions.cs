#nullable enable
// One source file, compiled twice: into the library (runtime checks, tests) and, by the build's
// RoslynCodeTaskFactory (Directory.Build.targets), into the task that fixes libLibTorchSharp.so.
// Kept to plain C# and netstandard APIs for that reason. See environment.md for the why.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Raccoon.Research.Runtime
{
    /// <summary>
    /// Reads and edits the GNU symbol-versioning sections of a 64-bit little-endian ELF file.
    /// TorchSharp 0.107's libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13) for one symbol that
    /// nothing calls; marking that requirement weak (VER_FLG_WEAK) lets GCC 12's libstdc++ load it.
    /// </summary>
    public static class ElfSymbolVersions
    {
        public const string RequiredByTorchSharp = "GLIBCXX_3.4.32";
        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;
        const ushort VerFlgWeak = 0x2;

        /// <summary>One version requirement (Vernaux entry) of the file.</summary>
        public sealed class Requirement
        {
            public Requirement(string library, string version, ushort flags, long flagsOffset)
            {
                Library = library; Version = version; Flags = flags; FlagsOffset = flagsOffset;
            }
            public string Library { get; private set; }
            public string Version { get; private set; }
            public ushort Flags { get; private set; }
            /// <summary>File offset of vna_flags, the two bytes an edit changes.</summary>
            public long FlagsOffset { get; private set; }
            public bool IsWeak { get { return (Flags & VerFlgWeak) != 0; } }
        }

        /// <summary>Every (library, version) requirement in .gnu.version_r.</summary>
        public static List<Requirement> ReadRequirements(byte[] elf)
        {
            var result = new List<Requirement>();
            foreach (var section in Sections(elf, ShtGnuVerneed))
            {
                long strtab = SectionOffset(elf, section.Link);
                long entry = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort count = U16(elf, entry + 2);
                    string file = CString(elf, strtab + U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (int j = 0; j < count; j++)
                    {
                        ushort flags = U16(elf, aux + 4);
                        string name = CString(elf, strtab + U32(elf, aux + 8));
                        result.Add(new Requirement(file, name, flags, aux + 4));
                        uint nextAux = U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, entry + 12);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>Every version name the file defines in .gnu.version_d (a libstdc++ defines GLIBCXX_*).</summary>
        public static List<string> ReadDefinitions(byte[] elf)
        {
            var result = new List<string>();
            foreach (var section in Sections(elf, ShtGnuVerdef))
            {
                long strtab = SectionOffset(elf, section.Link);
                long entry = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    long aux = entry + U32(elf, entry + 12);
                    result.Add(CString(elf, strtab + U32(elf, aux)));
                    uint next = U32(elf, entry + 16);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>
        /// Marks the requirement on <paramref name="version"/> weak in <paramref name="elf"/>.
        /// Returns false when the file does not require that version or already has it weak.
        /// </summary>
        public static bool MakeWeak(byte[] elf, string version)
        {
            bool changed = false;
            foreach (var r in ReadRequirements(elf))
            {
                if (r.Version != version || r.IsWeak) continue;
                ushort flags = (ushort)(r.Flags | VerFlgWeak);
                elf[r.FlagsOffset] = (byte)(flags & 0xff);
                elf[r.FlagsOffset + 1] = (byte)(flags >> 8);
                changed = true;
            }
            return changed;
        }

        /// <summary>
        /// Makes the file at <paramref name="path"/> loadable without <paramref name="version"/>:
        /// writes a temporary copy beside it and renames it over the original, so the file is
        /// replaced whole or not at all. Returns true when it changed the file.
        /// </summary>
        public static bool MakeWeakInPlace(string path, string version)
        {
            byte[] bytes = File.ReadAllBytes(path);
            if (!MakeWeak(bytes, version)) return false;
            string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            try
            {
                File.WriteAllBytes(temp, bytes);
                File.Replace(temp, path, null); // a rename: atomic on one file system
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            return true;
        }

        /// <summary>Where the system's libstdc++.so.6 is found on common Linux layouts, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            var dirs = new List<string>();
            string? ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath)) dirs.AddRange(ldPath!.Split(':'));
            dirs.AddRange(new[] {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" });
            foreach (var dir in dirs)
            {
                if (dir.Length == 0) continue;
                string candidate = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        /// <summary>True when this machine's libstdc++ defines the version (no edit is needed then).</summary>
        public static bool SystemLibStdCxxDefines(string version)
        {
            string? path = FindSystemLibStdCxx();
            if (path == null) return false;
            return ReadDefinitions(File.ReadAllBytes(path)).Contains(version);
        }

        sealed class Section
        {
            public long Offset; public uint Link; public uint Info;
        }

        static IEnumerable<Section> Sections(byte[] elf, uint type)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A);
            int shnum = U16(elf, 0x3C);
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                if (U32(elf, h + 4) != type) continue;
                yield return new Section { Offset = (long)U64(elf, h + 0x18), Link = U32(elf, h + 0x28), Info = U32(elf, h + 0x2C) };
            }
        }

        static long SectionOffset(byte[] elf, uint index)
        {
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A);
            return (long)U64(elf, shoff + index * shentsize + 0x18);
        }

        static void Check(byte[] b, long at, int size)
        {
            if (at < 0 || at + size > b.Length) throw new InvalidDataException("ELF structure points outside the file (truncated or corrupt)");
        }
        static ushort U16(byte[] b, long at) { Check(b, at, 2); return (ushort)(b[at] | b[at + 1] << 8); }
        static uint U32(byte[] b, long at) { Check(b, at, 4); return (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24); }
        static ulong U64(byte[] b, long at) { return U32(b, at) | (ulong)U32(b, at + 4) << 32; }
        static string CString(byte[] b, long at)
        {
            long end = at;
            while (end < b.Length && b[end] != 0) end++;
            Check(b, at, (int)(end - at));
            return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
        }
    }

#if !RACCOON_LIBRARY
    /// <summary>MSBuild task: weakens the GLIBCXX_3.4.32 requirement of each file where this machine lacks it.</summary>
    public sealed class WeakenGlibcxxRequirement : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

        public override bool Execute()
        {
            if (ElfSymbolVersions.SystemLibStdCxxDefines(ElfSymbolVersions.RequiredByTorchSharp))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "libstdc++ defines " + ElfSymbolVersions.RequiredByTorchSharp + ": no edit needed");
                return true;
            }
            foreach (var item in Files)
            {
                string path = item.ItemSpec;
                if (!File.Exists(path)) continue;
                if (ElfSymbolVersions.MakeWeakInPlace(path, ElfSymbolVersions.RequiredByTorchSharp))
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High, "Marked " + ElfSymbolVersions.RequiredByTorchSharp + " weak in " + path + " (system libstdc++ lacks it)");
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
