using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Migrations
{
    /// <summary>
    /// Indexes for the users and audit pages, and on SQLite a trigram full-text index over users' normalized emails
    /// (<c>UsersSearch</c>, an external-content FTS5 table kept in step with <c>Users</c> by triggers) so that a
    /// search for any part of an email is an index lookup. The SQL is written out here rather than shared, so that
    /// this migration does the same thing forever. A later migration that rebuilds the <c>Users</c> table (EF's way
    /// of altering a column on SQLite) drops these triggers with the old table and renumbers the rows: it must
    /// create them again and end with <c>INSERT INTO "UsersSearch"("UsersSearch") VALUES ('rebuild')</c>.
    /// </summary>
    public partial class UserSearchAndPageIndexes : Migration
    {
        private const string Sqlite = "Microsoft.EntityFrameworkCore.Sqlite";

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Users_Deactivated_ByCreated",
                table: "Users",
                columns: new[] { "OrgId", "CreatedAt" },
                filter: "NOT (\"IsActive\") AND NOT (\"IsRegistered\")");

            migrationBuilder.CreateIndex(
                name: "IX_Users_Deactivated_ByEmail",
                table: "Users",
                columns: new[] { "OrgId", "NormalizedUsername" },
                filter: "NOT (\"IsActive\") AND NOT (\"IsRegistered\")");

            migrationBuilder.CreateIndex(
                name: "IX_Users_Pending_ByCreated",
                table: "Users",
                columns: new[] { "OrgId", "CreatedAt" },
                filter: "\"IsActive\" AND NOT (\"IsRegistered\")");

            migrationBuilder.CreateIndex(
                name: "IX_Users_Pending_ByEmail",
                table: "Users",
                columns: new[] { "OrgId", "NormalizedUsername" },
                filter: "\"IsActive\" AND NOT (\"IsRegistered\")");

            migrationBuilder.CreateIndex(
                name: "IX_Users_Registered_ByCreated",
                table: "Users",
                columns: new[] { "OrgId", "CreatedAt" },
                filter: "\"IsRegistered\"");

            migrationBuilder.CreateIndex(
                name: "IX_Users_Registered_ByEmail",
                table: "Users",
                columns: new[] { "OrgId", "NormalizedUsername" },
                filter: "\"IsRegistered\"");

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_OrgId_Action_At",
                table: "AuditEvents",
                columns: new[] { "OrgId", "Action", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_OrgId_ActorId_At",
                table: "AuditEvents",
                columns: new[] { "OrgId", "ActorId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_SubjectId_At",
                table: "AuditEvents",
                columns: new[] { "SubjectId", "At" });

            if (migrationBuilder.ActiveProvider == Sqlite)
            {
                // External content: the index stores only trigrams and rowids, the emails stay in Users alone. No
                // ranking is ever asked for, so no per-row sizes are kept (columnsize=0).
                migrationBuilder.Sql("""
                    CREATE VIRTUAL TABLE "UsersSearch" USING fts5("NormalizedUsername", content='Users', content_rowid='rowid', tokenize='trigram', columnsize=0);
                    """);
                migrationBuilder.Sql("""
                    CREATE TRIGGER "Users_Search_AfterInsert" AFTER INSERT ON "Users" BEGIN
                        INSERT INTO "UsersSearch"(rowid, "NormalizedUsername") VALUES (new.rowid, new."NormalizedUsername");
                    END;
                    """);
                migrationBuilder.Sql("""
                    CREATE TRIGGER "Users_Search_AfterDelete" AFTER DELETE ON "Users" BEGIN
                        INSERT INTO "UsersSearch"("UsersSearch", rowid, "NormalizedUsername") VALUES ('delete', old.rowid, old."NormalizedUsername");
                    END;
                    """);
                migrationBuilder.Sql("""
                    CREATE TRIGGER "Users_Search_AfterUpdate" AFTER UPDATE OF "NormalizedUsername" ON "Users" BEGIN
                        INSERT INTO "UsersSearch"("UsersSearch", rowid, "NormalizedUsername") VALUES ('delete', old.rowid, old."NormalizedUsername");
                        INSERT INTO "UsersSearch"(rowid, "NormalizedUsername") VALUES (new.rowid, new."NormalizedUsername");
                    END;
                    """);
                migrationBuilder.Sql("""
                    INSERT INTO "UsersSearch"("UsersSearch") VALUES ('rebuild');
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            if (migrationBuilder.ActiveProvider == Sqlite)
            {
                migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "Users_Search_AfterInsert";""");
                migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "Users_Search_AfterDelete";""");
                migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "Users_Search_AfterUpdate";""");
                migrationBuilder.Sql("""DROP TABLE IF EXISTS "UsersSearch";""");
            }

            migrationBuilder.DropIndex(
                name: "IX_Users_Deactivated_ByCreated",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Users_Deactivated_ByEmail",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Users_Pending_ByCreated",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Users_Pending_ByEmail",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Users_Registered_ByCreated",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_Users_Registered_ByEmail",
                table: "Users");

            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_OrgId_Action_At",
                table: "AuditEvents");

            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_OrgId_ActorId_At",
                table: "AuditEvents");

            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_SubjectId_At",
                table: "AuditEvents");
        }
    }
}
