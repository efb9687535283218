using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class OrganizationBranding : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "EmailTemplates",
                columns: table => new
                {
                    OrgId = table.Column<string>(type: "TEXT", unicode: false, maxLength: 40, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Body = table.Column<string>(type: "TEXT", maxLength: 10000, nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EmailTemplates", x => new { x.OrgId, x.Kind });
                    table.ForeignKey(
                        name: "FK_EmailTemplates_Organizations_OrgId",
                        column: x => x.OrgId,
                        principalTable: "Organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "OrganizationBrandings",
                columns: table => new
                {
                    OrgId = table.Column<string>(type: "TEXT", unicode: false, maxLength: 40, nullable: false),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    PrimaryColor = table.Column<string>(type: "TEXT", unicode: false, maxLength: 7, nullable: true),
                    SupportContact = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    SenderName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ReplyTo = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    Logo = table.Column<byte[]>(type: "BLOB", maxLength: 262144, nullable: true),
                    LogoContentType = table.Column<string>(type: "TEXT", unicode: false, maxLength: 32, nullable: true),
                    LogoVersion = table.Column<string>(type: "TEXT", unicode: false, maxLength: 32, nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrganizationBrandings", x => x.OrgId);
                    table.ForeignKey(
                        name: "FK_OrganizationBrandings_Organizations_OrgId",
                        column: x => x.OrgId,
                        principalTable: "Organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EmailTemplates");

            migrationBuilder.DropTable(
                name: "OrganizationBrandings");
        }
    }
}
