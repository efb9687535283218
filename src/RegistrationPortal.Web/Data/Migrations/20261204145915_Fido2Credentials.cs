using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class Fido2Credentials : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "PublicKeyPem",
                table: "Credentials",
                type: "TEXT",
                maxLength: 4096,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 4096);

            migrationBuilder.AddColumn<Guid>(
                name: "Aaguid",
                table: "Credentials",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AttestationFormat",
                table: "Credentials",
                type: "TEXT",
                unicode: false,
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "PublicKeyCose",
                table: "Credentials",
                type: "BLOB",
                maxLength: 2048,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SignCount",
                table: "Credentials",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "Transports",
                table: "Credentials",
                type: "TEXT",
                unicode: false,
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
                type: "TEXT",
                maxLength: 4096,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 4096,
                oldNullable: true);
        }
    }
}
