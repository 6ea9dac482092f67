namespace Streamer.Rules.Books;

internal enum ConfigKind : byte
{
    Null,
    Scalar,
    Map,
    Seq,
}
