using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class OutboxByOrganizationPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_OutboxMessages_OrgId_Status_CreatedAt",
                table: "OutboxMessages",
                columns: new[] { "OrgId", "Status", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_OutboxMessages_OrgId_Status_CreatedAt",
                table: "OutboxMessages");
        }
    }
}
