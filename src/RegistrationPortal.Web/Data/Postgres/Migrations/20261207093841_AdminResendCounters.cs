using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AdminResendCounters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AdminResendThrottles",
                columns: table => new
                {
                    OrgId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NormalizedUsername = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    LastRequestAt = table.Column<long>(type: "bigint", nullable: false),
                    WindowStartedAt = table.Column<long>(type: "bigint", nullable: false),
                    WindowCount = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AdminResendThrottles", x => new { x.OrgId, x.NormalizedUsername });
                });

            migrationBuilder.CreateIndex(
                name: "IX_AdminResendThrottles_LastRequestAt",
                table: "AdminResendThrottles",
                column: "LastRequestAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AdminResendThrottles");
        }
    }
}
