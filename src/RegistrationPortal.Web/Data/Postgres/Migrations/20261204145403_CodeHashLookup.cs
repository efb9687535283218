using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class CodeHashLookup : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CodeId",
                table: "PublicRequests");

            migrationBuilder.CreateIndex(
                name: "IX_RegistrationCodes_CodeHash",
                table: "RegistrationCodes",
                column: "CodeHash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RegistrationCodes_CodeHash",
                table: "RegistrationCodes");

            migrationBuilder.AddColumn<Guid>(
                name: "CodeId",
                table: "PublicRequests",
                type: "uuid",
                nullable: true);
        }
    }
}
