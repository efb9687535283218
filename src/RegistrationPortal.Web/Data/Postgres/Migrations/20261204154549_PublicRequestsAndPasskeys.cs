using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class PublicRequestsAndPasskeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "PublicKeyPem",
                table: "Credentials",
                type: "character varying(4096)",
                maxLength: 4096,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(4096)",
                oldMaxLength: 4096);

            migrationBuilder.AddColumn<Guid>(
                name: "Aaguid",
                table: "Credentials",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AttestationFormat",
                table: "Credentials",
                type: "character varying(32)",
                unicode: false,
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PublicKeyCose",
                table: "Credentials",
                type: "bytea",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SignCount",
                table: "Credentials",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "Transports",
                table: "Credentials",
                type: "character varying(128)",
                unicode: false,
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CodeAttemptCounters",
                columns: table => new
                {
                    OrgId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NormalizedUsername = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    ClientAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Failures = table.Column<int>(type: "integer", nullable: false),
                    WindowStartedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastFailureAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CodeAttemptCounters", x => new { x.OrgId, x.NormalizedUsername, x.ClientAddress });
                });

            migrationBuilder.CreateTable(
                name: "PublicRequests",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    OrgId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NormalizedUsername = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    ActorKind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ActorId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ClientAddress = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    CorrelationId = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: true),
                    TraceParent = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PublicRequests", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RegistrationCodes_CodeHash",
                table: "RegistrationCodes",
                column: "CodeHash");

            migrationBuilder.CreateIndex(
                name: "IX_CodeAttemptCounters_LastFailureAt",
                table: "CodeAttemptCounters",
                column: "LastFailureAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CodeAttemptCounters");

            migrationBuilder.DropTable(
                name: "PublicRequests");

            migrationBuilder.DropIndex(
                name: "IX_RegistrationCodes_CodeHash",
                table: "RegistrationCodes");

            migrationBuilder.DropColumn(
                name: "Aaguid",
                table: "Credentials");

            migrationBuilder.DropColumn(
                name: "AttestationFormat",
                table: "Credentials");

            migrationBuilder.DropColumn(
                name: "PublicKeyCose",
                table: "Credentials");

            migrationBuilder.DropColumn(
                name: "SignCount",
                table: "Credentials");

            migrationBuilder.DropColumn(
                name: "Transports",
                table: "Credentials");

            migrationBuilder.AlterColumn<string>(
                name: "PublicKeyPem",
                table: "Credentials",
                type: "character varying(4096)",
                maxLength: 4096,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(4096)",
                oldMaxLength: 4096,
                oldNullable: true);
        }
    }
}
