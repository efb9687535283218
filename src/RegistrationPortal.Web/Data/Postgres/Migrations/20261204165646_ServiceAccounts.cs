using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ServiceAccounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ServiceAccounts",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(40)", unicode: false, maxLength: 40, nullable: false),
                    OrgId = table.Column<string>(type: "character varying(40)", unicode: false, maxLength: 40, nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CredId = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: false),
                    PublicKeyPem = table.Column<string>(type: "character varying(1024)", unicode: false, maxLength: 1024, nullable: false),
                    TokenHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    CanWrite = table.Column<bool>(type: "boolean", nullable: false),
                    IsActive = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ServiceAccounts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ServiceAccounts_Organizations_OrgId",
                        column: x => x.OrgId,
                        principalTable: "Organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "UserActions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    OrgId = table.Column<string>(type: "character varying(40)", unicode: false, maxLength: 40, nullable: false),
                    ServiceAccountId = table.Column<string>(type: "character varying(40)", unicode: false, maxLength: 40, nullable: false),
                    ChallengeIdentifierHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    Challenge = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: false),
                    HttpMethod = table.Column<string>(type: "character varying(8)", unicode: false, maxLength: 8, nullable: false),
                    HttpPath = table.Column<string>(type: "character varying(512)", unicode: false, maxLength: 512, nullable: false),
                    PayloadHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    SignedAt = table.Column<long>(type: "bigint", nullable: true),
                    TokenHash = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: true),
                    UsedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_UserActions_ServiceAccounts_ServiceAccountId",
                        column: x => x.ServiceAccountId,
                        principalTable: "ServiceAccounts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ServiceAccounts_OrgId_CreatedAt",
                table: "ServiceAccounts",
                columns: new[] { "OrgId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ServiceAccounts_TokenHash",
                table: "ServiceAccounts",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_UserActions_ChallengeIdentifierHash",
                table: "UserActions",
                column: "ChallengeIdentifierHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_UserActions_ServiceAccountId_ExpiresAt",
                table: "UserActions",
                columns: new[] { "ServiceAccountId", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_UserActions_TokenHash",
                table: "UserActions",
                column: "TokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "UserActions");

            migrationBuilder.DropTable(
                name: "ServiceAccounts");
        }
    }
}
