using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// One INSERT statement for many rows of an entity, prepared once and run in the context's current transaction: for
/// writes of thousands of rows at once (bulk resend), where EF's change tracking and per-save statements cost several
/// times the insert itself. Table, columns and every value's conversion come from EF's own model and type mappings, so
/// the rows are exactly what <c>SaveChanges</c> would write. Store-generated integer keys are left to the database.
/// </summary>
internal sealed class PreparedInsert<T> : IAsyncDisposable
    where T : class
{
    private readonly DbCommand _command;
    private readonly Shape _shape;
    private bool _prepared;
    private NpgsqlCommand? _arrays;

    private PreparedInsert(DbCommand command, Shape shape)
    {
        _command = command;
        _shape = shape;
    }

    /// <summary>
    /// An insert into <typeparamref name="T"/>'s table. With <paramref name="upsert"/>, a row whose primary key exists
    /// already is updated instead (SQLite's <c>ON CONFLICT … DO UPDATE</c>).
    /// </summary>
    public static PreparedInsert<T> Create(PortalDbContext db, bool upsert = false)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A prepared insert runs inside the write queue's transaction.");
        var shape = (upsert ? Upserts : Inserts).GetValue(db.Model, model => Shape.Of(model, db.GetService<ISqlGenerationHelper>(), upsert));
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = shape.Text;
        for (var i = 0; i < shape.Columns.Length; i++)
        {
            var (property, mapping) = shape.Columns[i];
            command.Parameters.Add(mapping.CreateParameter(command, $"@p{i}", null, property.IsNullable));
        }

        return new PreparedInsert<T>(command, shape);
    }

    /// <summary>
    /// The statement and its columns, worked out once per model (one per database provider): the dispatcher makes an
    /// insert for every few mails it records, and reading the model for it each time cost more than the insert.
    /// </summary>
    private static readonly ConditionalWeakTable<IModel, Shape> Inserts = new();

    private static readonly ConditionalWeakTable<IModel, Shape> Upserts = new();

    private sealed record Shape(string Text, (IProperty Property, RelationalTypeMapping Mapping)[] Columns, string? ArraysText, Type[] ArrayElements)
    {
        public static Shape Of(IModel model, ISqlGenerationHelper sql, bool upsert)
        {
            var entity = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var properties = entity.GetProperties()
                .Where(p => !(p.ValueGenerated == ValueGenerated.OnAdd && p.IsPrimaryKey() && p.ClrType is var t && (t == typeof(long) || t == typeof(int))))
                .ToList();
            var names = properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)).ToList();
            var text = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", names)}) VALUES ({string.Join(", ", properties.Select((_, i) => $"@p{i}"))})";
            if (upsert)
            {
                var keys = entity.FindPrimaryKey()!.Properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)).ToList();
                var updates = names.Except(keys).Select(n => $"{n} = excluded.{n}");
                text += $" ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", updates)}";
            }

            var columns = properties.Select(p => (p, (RelationalTypeMapping)p.GetTypeMapping())).ToArray();

            // PostgreSQL: every row in one statement, a column's values in one array parameter. Not for an upsert: one
            // statement may not update a row twice, which two rows of the same key would ask.
            var arrays = upsert
                ? null
                : $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", names)}) SELECT * FROM unnest({string.Join(", ", columns.Select((c, i) => $"@a{i}::{c.Item2.StoreType}[]"))})";
            // Each column's array holds the stored type, nullable, so that a missing value is a null element.
            var elements = columns.Select(c => c.Item2.Converter?.ProviderClrType ?? c.Item1.ClrType)
                .Select(t => t.IsValueType && Nullable.GetUnderlyingType(t) is null ? typeof(Nullable<>).MakeGenericType(t) : t)
                .ToArray();
            return new Shape(text, columns, arrays, elements);
        }
    }

    public async Task InsertAsync(T row, CancellationToken ct = default)
    {
        Bind(_command.Parameters, row);
        if (!_prepared)
        {
            await _command.PrepareAsync(ct);
            _prepared = true;
        }

        await _command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Inserts the rows. On PostgreSQL a plain insert takes up to <see cref="RowsPerRoundTrip"/> rows in one statement
    /// (its columns as arrays, unnested), and an upsert as many statements in one round trip
    /// (<see cref="StatementBatches"/>); elsewhere (SQLite, in process) the prepared statement runs once a row.
    /// </summary>
    public async Task InsertAsync(IEnumerable<T> rows, CancellationToken ct = default)
    {
        if (_command is NpgsqlCommand && _shape.ArraysText is not null)
        {
            foreach (var chunk in rows.Chunk(RowsPerRoundTrip))
            {
                await InsertArraysAsync(chunk, ct);
            }

            return;
        }

        if (_command.Connection!.CanCreateBatch)
        {
            foreach (var chunk in rows.Chunk(RowsPerRoundTrip))
            {
                await StatementBatches.RunEachAsync(_command, chunk, Bind, ct);
            }

            return;
        }

        foreach (var row in rows)
        {
            await InsertAsync(row, ct);
        }
    }

    /// <summary>How many rows one round trip carries where the provider batches statements.</summary>
    internal const int RowsPerRoundTrip = 500;

    private async Task InsertArraysAsync(T[] rows, CancellationToken ct)
    {
        if (_arrays is null)
        {
            _arrays = new NpgsqlCommand(_shape.ArraysText, (NpgsqlConnection)_command.Connection!, (NpgsqlTransaction?)_command.Transaction);
            for (var i = 0; i < _shape.Columns.Length; i++)
            {
                _arrays.Parameters.Add(new NpgsqlParameter { ParameterName = $"a{i}" });
            }
        }

        for (var i = 0; i < _shape.Columns.Length; i++)
        {
            var values = Array.CreateInstance(_shape.ArrayElements[i], rows.Length);
            for (var r = 0; r < rows.Length; r++)
            {
                values.SetValue(Stored(i, rows[r]), r);
            }

            _arrays.Parameters[i].Value = values;
        }

        if (!_arrays.IsPrepared)
        {
            await _arrays.PrepareAsync(ct);
        }

        await _arrays.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Sets the statement's values from <paramref name="row"/>.</summary>
    private void Bind(DbParameterCollection values, T row)
    {
        for (var i = 0; i < _shape.Columns.Length; i++)
        {
            values[i].Value = Stored(i, row) ?? DBNull.Value;
        }
    }

    /// <summary>Column <paramref name="column"/>'s value in <paramref name="row"/>, converted as the model stores it; null for none.</summary>
    private object? Stored(int column, T row)
    {
        var (property, mapping) = _shape.Columns[column];
        return property.PropertyInfo!.GetValue(row) is { } value ? mapping.Converter?.ConvertToProvider(value) ?? value : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_arrays is not null)
        {
            await _arrays.DisposeAsync();
        }

        await _command.DisposeAsync();
    }
}
